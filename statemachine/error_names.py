"""Error names Step Functions matches in Retry and Catch rules: the one place they are spelled.

A test checks each name against the exception class that carries it, so a rename cannot
silently break the retry and catch rules of every compiled state machine.
"""

from __future__ import annotations

# Raised by our handlers (the class names of lambdas.runtime.errors.TransientError and
# statemachine.errors.WorkflowValidationError).
TRANSIENT_ERROR = "TransientError"
WORKFLOW_VALIDATION_ERROR = "WorkflowValidationError"
# Raised by the task of a node with a retry policy when an attempt failed and attempts remain
# (lambdas.runtime.errors.NodeAttemptFailed): its task's Retry rule retries it.
NODE_ATTEMPT_FAILED = "NodeAttemptFailed"
# Sent back by a rejection of a wait-for-event node (SendTaskFailure): its waiting task
# catches it into the task that fails the node (statemachine.event_waits).
EVENT_REJECTED = "EventRejected"
# Raised by a wait-for-event node's waiting task when the node will not wait (skipped...):
# caught like the two ends of a wait (lambdas.runtime.errors.NodeNotWaiting).
NODE_NOT_WAITING = "NodeNotWaiting"

# Raised by the Lambda service itself: throttling and service faults, always worth a retry.
LAMBDA_SERVICE_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)

# Set by the compiled state machine on its terminal Fail states. CREDITS_EXHAUSTED is also
# raised by Check credits (lambdas.runtime.errors.CreditsExhausted) and caught.
WORKFLOW_EXECUTION_ERROR = "WorkflowExecutionError"
CREDITS_EXHAUSTED = "CreditsExhausted"
# The cause of CREDITS_EXHAUSTED, and the `error` of an exhausted execution's record (SPEC §6).
INSUFFICIENT_CREDITS = "Insufficient compute credits"

# Matches every error in a Catch.
ALL_ERRORS = "States.ALL"
