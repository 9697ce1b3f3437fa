"""Every moto (and botocore) internal the embedded engine replaces, in one table.

Each module that patches (local.cloud, local.interpreter, local.moto_*, local.asl_*) does so
through `replace`, which keeps what it replaced, once: `TARGETS` lists each target
with the signature it has in the pinned moto, and a test (tests/engine/test_moto_speedups.py)
checks that the engine replaced exactly these and that each still has that signature, so a
moto upgrade that changes one fails there, by name, rather than somewhere inside moto. The
installed moto must be the pinned one to start at all (local.moto_start.check_moto_version).
"""

# ruff: noqa: E501
from __future__ import annotations

import threading
from typing import Any

# Every target the engine replaces -> its parameters in the pinned moto (None: not a function,
# or one whose signature is not introspectable), by name. Long names: one a line, unwrapped.
TARGETS: dict[str, tuple[str, ...] | None] = {
    "botocore.loaders.Loader.list_available_services": ("self", "args", "kwargs"),
    "moto.apigatewaymanagementapi.models.ApiGatewayManagementApiBackend.post_to_connection": (
        "self",
        "data",
        "connection_id",
    ),
    "moto.awslambda.models.LambdaFunction._invoke_lambda": ("self", "event"),
    "moto.core.base_backend.AccountSpecificBackend.get_session": None,
    "moto.core.responses.method_names_from_class": ("clazz",),
    "moto.core.utils.create_loader": (),
    "moto.dynamodb.comparisons.ConditionExpressionParser.parse": ("self",),
    "moto.dynamodb.models.DynamoDBBackend.update_item": (
        "self",
        "table_name",
        "key",
        "update_expression",
        "expression_attribute_names",
        "expression_attribute_values",
        "attribute_updates",
        "expected",
        "condition_expression",
        "return_values_on_condition_check_failure",
    ),
    "moto.dynamodb.models.table.Table.all_items": ("self",),
    "moto.dynamodb.models.table.Table.query": (
        "self",
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
        "consistent_read",
        "filter_expression",
        "hash_key_conditions",
        "range_key_conditions",
        "filter_kwargs",
    ),
    "moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser.traverse": ("self", "node"),
    "moto.dynamodb.parsing.expressions.UpdateExpressionParser.make": None,
    "moto.dynamodb.parsing.validators.UpdateExpressionValidator.__init__": (
        "self",
        "expression",
        "expression_attribute_names",
        "expression_attribute_values",
        "item",
        "table",
    ),
    "moto.dynamodb.parsing.validators.UpdateExpressionValidator.validate": ("self",),
    "moto.dynamodb.parsing.validators.deepcopy": ("x", "memo", "_nil"),
    "moto.dynamodb.responses.DynamoHandler.call_action": ("self",),
    "moto.kms.models.generate_private_key": ("key_spec",),
    "moto.s3.responses.S3Response.bucket_response": ("self", "request", "full_url", "headers"),
    "moto.s3.responses.S3Response.key_response": ("self", "request", "full_url", "headers"),
    "moto.stepfunctions.models.StateMachine._handle_name_input_idempotency": (
        "self",
        "name",
        "execution_input",
    ),
    "moto.stepfunctions.models.StepFunctionBackend.describe_execution": (
        "self",
        "execution_arn",
    ),
    "moto.stepfunctions.models.StateMachineInstance.__init__": (
        "self",
        "arn",
        "name",
        "definition",
        "roleArn",
        "encryptionConfiguration",
        "loggingConfiguration",
        "tracingConfiguration",
        "sm_type",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker.IterationWorker._eval_pool": (
        "self",
        "job",
        "worker_frame",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator.distributed_iterator_worker.DistributedIteratorWorker._eval_pool": (
        "self",
        "job",
        "worker_frame",
    ),
    "moto.stepfunctions.parser.asl.component.state.state.CommonStateField._eval_state_input": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl.ErrorEqualsDecl._eval_body": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.common.path.result_path.copy": None,
    "moto.stepfunctions.parser.asl.component.common.path.result_path.parse": ("string",),
    "moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadarr.payload_arr.PayloadArr._eval_body": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadtmpl.payload_tmpl.PayloadTmpl._eval_body": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time": None,
    "moto.stepfunctions.parser.asl.component.common.string.string_expression.copy": None,
    "moto.stepfunctions.parser.asl.component.common.timeouts.timeout.Timeout.eval": ("self", "env"),
    "moto.stepfunctions.parser.asl.component.program.program.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.component.program.program.threading": None,
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state.Thread": None,
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state.copy": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel.copy": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils.boto_client_for": (
        "region",
        "service",
        "state_credentials",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk.boto_client_for": (
        "region",
        "service",
        "state_credentials",
    ),
    "moto.stepfunctions.responses.StepFunctionResponse.send_task_failure": ("self",),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK": None,
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn.StateTaskServiceSfn._eval_service_task": (
        "self",
        "env",
        "resource_runtime_part",
        "normalised_parameters",
        "state_credentials",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn.StateTaskServiceSfn._normalise_parameters": (
        "self",
        "parameters",
        "boto_service_name",
        "service_action_name",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn.StateTaskServiceSfn._normalise_response": (
        "self",
        "response",
        "boto_service_name",
        "service_action_name",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn.boto_client_for": (
        "region",
        "service",
        "state_credentials",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils.to_payload_type": (
        "payload",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda.StateTaskLambda._eval_parameters": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda.to_json_str": (
        "obj",
        "separators",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda.StateTaskLambda._from_error": (
        "self",
        "env",
        "ex",
    ),
    "moto.stepfunctions.parser.asl.component.state.state.CommonStateField._eval_body": (
        "self",
        "env",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker.DistributedItemProcessorWorker._eval_pool": (
        "self",
        "job",
        "worker_frame",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker.DistributedItemProcessorWorker._eval_job": (
        "self",
        "env",
        "job",
    ),
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback.StateTaskServiceCallback._eval_wait_for_task_token": (
        "self",
        "env",
        "timeout_seconds",
        "callback_endpoint",
        "heartbeat_endpoint",
    ),
    "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function.WaitFunction._wait_interval": (
        "self",
        "env",
        "wait_seconds",
    ),
    "moto.stepfunctions.parser.asl.component.test_state.program.test_state_program.TMP_THREADS": None,
    "moto.stepfunctions.parser.asl.eval.states.copy": None,
    "moto.stepfunctions.parser.asl.parse.asl_parser.ASLLexer": ("input", "output"),
    "moto.stepfunctions.parser.asl.parse.asl_parser.AmazonStateLanguageParser.parse": (
        "definition",
    ),
    "moto.stepfunctions.parser.asl.parse.preprocessor.Preprocessor.visitAssign_template_value_terminal_float": (
        "self",
        "ctx",
    ),
    "moto.stepfunctions.parser.asl.parse.preprocessor.Preprocessor.visitJsonata_template_value_terminal_float": (
        "self",
        "ctx",
    ),
    "moto.stepfunctions.parser.asl.parse.preprocessor.Preprocessor.visitPayload_value_float": (
        "self",
        "ctx",
    ),
    "moto.stepfunctions.parser.asl.static_analyser.static_analyser.StaticAnalyser.analyse": (
        "self",
        "definition",
    ),
    "moto.stepfunctions.parser.asl.utils.json_path.parse": ("path", "debug"),
    "moto.stepfunctions.parser.backend.execution.BaseExecutionWorkerCommunication._reflect_execution_status": (
        "self",
    ),
    "moto.stepfunctions.parser.backend.execution.Execution.start": ("self",),
    "moto.stepfunctions.parser.backend.execution_worker.TMP_THREADS": None,
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend._validate_definition": (
        "definition",
    ),
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend.describe_execution": (
        "self",
        "execution_arn",
    ),
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend.describe_state_machine_for_execution": (
        "self",
        "execution_arn",
    ),
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend.list_executions": (
        "self",
        "state_machine_arn",
        "status_filter",
    ),
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend.start_execution": (
        "self",
        "state_machine_arn",
        "name",
        "execution_input",
        "trace_header",
    ),
    "moto.stepfunctions.parser.models.StepFunctionsParserBackend.stop_execution": (
        "self",
        "execution_arn",
    ),
}
# target -> what it was before the engine replaced it
REPLACED: dict[str, Any] = {}
_lock = threading.Lock()


def target_of(owner: Any, name: str) -> str:
    """The dotted name of `owner.name`: module.Class.attribute or module.attribute."""
    if isinstance(owner, type):
        return f"{owner.__module__}.{owner.__qualname__}.{name}"
    return f"{owner.__name__}.{name}"


def replace(owner: Any, name: str, replacement: Any) -> Any:
    """Set `owner.name` to `replacement`, once per process; what was there."""
    target = target_of(owner, name)
    with _lock:
        if target in REPLACED:
            raise RuntimeError(f"{target} is replaced twice")
        original = owner.__dict__.get(name, getattr(owner, name, None))
        REPLACED[target] = original
        setattr(owner, name, replacement)
    return original
