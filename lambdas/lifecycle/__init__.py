"""An execution's lifecycle, written once for every engine and handler: what its record says
at each point (records). Pure: the runtime's models and ports, no adapter, no AWS."""
