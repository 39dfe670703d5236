from __future__ import annotations

from typing import Any

import pytest

from invoker.containers.ports import ProxyResponse
from invoker.pool.config import MB, StemCellSpec, stem_cells_from_manifest
from invoker.pool.outcomes import init_outcome, run_outcome
from invoker.pool.protocol import init_payload, run_payload
from invoker.pool.requests import ExecSpec, RunLimits, RunRequest
from invoker.pool.scheduling import (
    CreateCold,
    JoinWarming,
    Reject,
    UsePrewarmed,
    UseWarm,
    Wait,
    containers_to_pause,
    containers_to_reap,
    schedule,
    stem_cells_to_start,
)
from invoker.pool.state import ActionKey, ContainerData, ContainerState, PoolState
from whisk.entities.activation import (
    ActivationId,
    StatusCode,
    application_error,
    developer_error,
    success,
)
from whisk.errors import InternalError

HELLO = ActionKey("guest", "guest/hello", "1")
W, B, P = ContainerState.WARM, ContainerState.BUSY, ContainerState.PAUSED


def container(id: str, state: ContainerState = W, **overrides: Any) -> ContainerData:
    """A warm idle python container for guest/hello, 256 MB, with sensible defaults."""
    values: dict[str, Any] = {
        "id": id,
        "kind": "python:3.11",
        "memory_mb": 256,
        "state": state,
        "action": HELLO,
        "active": 1 if state in (B, ContainerState.WARMING) else 0,
        "max_concurrency": 1,
        "last_used": 100.0,
    }
    if state in (ContainerState.STARTING, ContainerState.PREWARMED):
        values["action"] = None
    values.update(overrides)
    return ContainerData(**values)


def stem(id: str, state: ContainerState = ContainerState.PREWARMED, **kw: Any) -> ContainerData:
    return container(id, state, **kw)


def request(**overrides: Any) -> RunRequest:
    """A run of guest/hello (python:3.11, 256 MB, concurrency 1) by guest."""
    limits = overrides.pop("limits", None) or RunLimits(
        memory_mb=overrides.pop("memory_mb", 256), concurrency=overrides.pop("concurrency", 1)
    )
    values: dict[str, Any] = {
        "activation_id": ActivationId.new(),
        "transaction_id": "tid",
        "namespace": "guest",
        "subject": "guest",
        "action": "guest/hello",
        "version": "0.0.1",
        "revision": "1",
        "exec": ExecSpec(kind=overrides.pop("kind", "python:3.11"), image="img", code="x"),
        "limits": limits,
        "wait_start_ms": 0,
    }
    values.update(overrides)
    return RunRequest(**values)


def pool(
    *containers: ContainerData, capacity: int = 1024, queue: tuple[str, ...] = ()
) -> PoolState:
    return PoolState.of(capacity, containers, queue)


# -- schedule: the order ----------------------------------------------------------------------


def test_schedule_prefers_warm_container_of_same_action() -> None:
    state = pool(container("w1"), stem("s1"))
    assert schedule(state, request()) == UseWarm("w1")


def test_schedule_ignores_warm_container_of_other_invoking_namespace() -> None:
    other = container("w1", action=ActionKey("alice", "guest/hello", "1"))
    assert schedule(pool(other), request()) == CreateCold()


def test_schedule_ignores_warm_container_of_older_revision() -> None:
    old = container("w1", action=ActionKey("guest", "guest/hello", "0"))
    assert schedule(pool(old), request()) == CreateCold()


def test_schedule_skips_busy_container_without_spare_concurrency() -> None:
    assert schedule(pool(container("b1", B)), request()) == CreateCold()


def test_schedule_shares_busy_container_with_spare_concurrency() -> None:
    busy = container("b1", B, max_concurrency=3, active=2)
    assert schedule(pool(busy), request(concurrency=3)) == UseWarm("b1")


def test_schedule_prefers_unpaused_then_fullest_warm_container() -> None:
    state = pool(
        container("paused", P, last_used=200.0),
        container("idle", W, max_concurrency=2),
        container("half", B, max_concurrency=2, active=1),
    )
    assert schedule(state, request(concurrency=2)) == UseWarm("half")
    assert schedule(pool(container("paused", P)), request()) == UseWarm("paused")


def test_schedule_joins_warming_container_with_spare_concurrency() -> None:
    warming = container("c1", ContainerState.WARMING, max_concurrency=2)
    assert schedule(pool(warming, stem("s1")), request(concurrency=2)) == JoinWarming("c1")


def test_schedule_takes_stem_cell_of_same_kind_and_memory() -> None:
    state = pool(stem("s1", memory_mb=512), stem("s2", kind="nodejs:20"), stem("s3"))
    assert schedule(state, request()) == UsePrewarmed("s3")


def test_schedule_never_takes_a_starting_stem_cell() -> None:
    assert schedule(pool(stem("s1", ContainerState.STARTING)), request()) == CreateCold()


def test_schedule_creates_cold_when_memory_allows() -> None:
    state = pool(container("b1", B), capacity=512)
    assert schedule(state, request()) == CreateCold()


def test_schedule_evicts_least_recently_used_idle_containers() -> None:
    # given a full pool: two idle warm containers of other actions and one busy one
    other = ActionKey("guest", "guest/other", "1")
    state = pool(
        container("new", W, action=other, last_used=300.0),
        container("old", P, action=other, last_used=100.0),
        container("mid", W, action=other, last_used=200.0),
        container("busy", B, action=other, last_used=50.0),
        capacity=1024,
    )
    # when a 512 MB run arrives, then the two oldest idle ones go, never the busy one
    assert schedule(state, request(memory_mb=512)) == CreateCold(evict=("old", "mid"))


def test_schedule_never_evicts_stem_cells_while_work_is_running() -> None:
    state = pool(stem("s1", kind="nodejs:20"), container("b1", B), capacity=512)
    assert isinstance(schedule(state, request()), Wait)


def test_schedule_evicts_stem_cells_when_nothing_else_will_free_memory() -> None:
    state = pool(stem("s1", kind="nodejs:20"), stem("s2", kind="nodejs:20"), capacity=512)
    assert schedule(state, request()) == CreateCold(evict=("s1",))


def test_schedule_waits_when_memory_is_busy() -> None:
    state = pool(container("b1", B), container("b2", B), capacity=512)
    assert isinstance(schedule(state, request()), Wait)


def test_schedule_keeps_order_behind_the_queue_head() -> None:
    # given a waiting head, a later run waits even though a warm container could take it
    head = request()
    state = pool(container("w1"), queue=(str(head.activation_id),))
    assert isinstance(schedule(state, request()), Wait)
    assert schedule(state, head) == UseWarm("w1")


def test_schedule_rejects_run_bigger_than_the_pool() -> None:
    assert isinstance(schedule(pool(capacity=256), request(memory_mb=512)), Reject)


# -- stem cells, pausing, reaping -------------------------------------------------------------

PY = StemCellSpec(kind="python:3.11", image="img", memory_mb=256, count=2)
NODE = StemCellSpec(kind="nodejs:20", image="node", memory_mb=256, count=1)


def test_stem_cells_to_start_tops_up_each_kind() -> None:
    state = pool(stem("s1", ContainerState.STARTING))
    assert stem_cells_to_start(state, [PY, NODE]) == [PY, NODE]


def test_stem_cells_to_start_stays_within_free_memory() -> None:
    assert stem_cells_to_start(pool(container("b1", B), capacity=512), [PY, NODE]) == [PY]


def test_stem_cells_to_start_nothing_while_runs_wait() -> None:
    assert stem_cells_to_start(pool(queue=("a",)), [PY]) == []


def test_containers_to_reap_only_idle_past_timeout() -> None:
    state = pool(
        container("old", W, last_used=0.0),
        container("paused", P, last_used=0.0),
        container("fresh", W, last_used=90.0),
        container("busy", B, last_used=0.0),
        stem("s1", last_used=0.0),
    )
    assert containers_to_reap(state, now=100.0, idle_timeout_s=50.0) == ["old", "paused"]


def test_containers_to_pause_after_grace_and_never_when_off() -> None:
    state = pool(container("a", W, last_used=0.0), container("b", W, last_used=99.0))
    assert containers_to_pause(state, now=100.0, pause_grace_s=10.0) == ["a"]
    assert containers_to_pause(state, now=100.0, pause_grace_s=None) == []


# -- state transitions ------------------------------------------------------------------------


def test_container_lifecycle_from_stem_cell_to_warm() -> None:
    cell = ContainerData.stem_cell("s1", "python:3.11", 256, concurrency=2).started()
    warming = cell.taken(HELLO, concurrency=2, now=1.0).run_assigned(now=2.0)
    assert (warming.state, warming.active) == (ContainerState.WARMING, 2)
    busy = warming.initialised()
    assert busy.state is B
    warm = busy.run_finished(now=3.0).run_finished(now=4.0)
    assert (warm.state, warm.active, warm.last_used) == (W, 0, 4.0)
    assert warm.paused().run_assigned(now=5.0).state is B


def test_container_refuses_run_beyond_its_concurrency() -> None:
    with pytest.raises(InternalError):
        container("b1", B).run_assigned(now=1.0)


def test_pool_state_counts_memory_of_every_container() -> None:
    state = pool(container("a"), stem("s"), container("r", ContainerState.REMOVING), capacity=1024)
    assert (state.used_mb, state.free_mb) == (768, 256)
    assert state.without("a", "s").used_mb == 256


def test_stem_cells_from_manifest_reads_openwhisk_shape() -> None:
    manifest = {
        "runtimes": {
            "python": [
                {
                    "kind": "python:3.11",
                    "image": {"prefix": "whisk", "name": "action-python-v3.11", "tag": "latest"},
                    "stemCells": [{"initialCount": 2, "memory": "256 MB"}],
                }
            ],
            "nodejs": [{"kind": "nodejs:20", "image": "whisk/node:latest"}],
        }
    }
    assert stem_cells_from_manifest(manifest) == (
        StemCellSpec("python:3.11", "whisk/action-python-v3.11:latest", 256, 2),
    )


def test_schedule_skips_stem_cell_that_cannot_serve_the_concurrency() -> None:
    assert schedule(pool(stem("s1")), request(concurrency=2)) == CreateCold()
    assert schedule(pool(stem("s1", max_concurrency=4)), request(concurrency=2)) == UsePrewarmed(
        "s1"
    )


# -- run outcomes and protocol bodies (pure helpers of the pool's shell) ----------------------


def answer(status: int = 200, body: bytes = b"{}", **flags: bool) -> ProxyResponse:
    return ProxyResponse(status=status, body=body, duration_ms=1, **flags)


def test_init_outcome_ok_and_error_field_and_raw_body() -> None:
    assert init_outcome(answer(), 1000) is None
    assert init_outcome(answer(502, b'{"error": "no main"}'), 1000) == developer_error("no main")
    assert init_outcome(answer(500, b"oops"), 1000) == developer_error(
        "The action failed during initialization: oops"
    )


def test_init_outcome_timeout_names_initialization() -> None:
    assert init_outcome(answer(0, b"", timed_out=True), 250) == developer_error(
        "The action exceeded its time limits of 250 milliseconds during initialization."
    )


def test_run_outcome_success_application_and_developer_errors() -> None:
    assert run_outcome(answer(body=b'{"a": 1}'), 1000, MB) == success({"a": 1}, size=8)
    assert run_outcome(answer(body=b"[1]"), 1000, MB).success
    assert run_outcome(answer(body=b'{"error": "x"}'), 1000, MB) == application_error("x", 14)
    assert run_outcome(answer(502, b'{"error": "x"}'), 1000, MB) == developer_error("x")
    assert run_outcome(answer(body=b"42"), 1000, MB) == developer_error(
        "The action did not produce a valid JSON or JSON Array response: 42"
    )


def test_run_outcome_connection_lost_and_oom() -> None:
    lost = answer(0, b"", connection_lost=True)
    assert run_outcome(lost, 1000, MB).result == {
        "error": "The action did not produce a valid response and exited unexpectedly."
    }
    assert run_outcome(lost, 1000, MB, oom_killed=True).result == {
        "error": "The action exhausted its memory and was aborted."
    }


def test_run_outcome_truncates_large_result_into_application_error() -> None:
    response = run_outcome(answer(body=b'{"big": "' + b"x" * 20 + b'"}'), 1000, 10)
    assert response.status_code is StatusCode.APPLICATION_ERROR
    assert response.result == {
        "error": "The action produced a response that exceeded the allowed length: "
        '31 > 10 bytes. The truncated response was: {"big": "x'
    }


def test_protocol_init_payload_carries_init_params_and_context_env() -> None:
    req = request(init_params={"flag": True, "none": None, "s": "v"}, api_key="u:k")
    payload = init_payload(req, deadline_ms=5000)
    assert payload["name"] == "hello"
    assert (payload["main"], payload["binary"], payload["code"]) == ("main", False, "x")
    env = payload["env"]
    assert (env["flag"], env["none"], env["s"]) == ("true", "", "v")
    assert env["__OW_ACTION_NAME"] == "/guest/hello"
    assert env["__OW_DEADLINE"] == "5000"
    assert env["__OW_API_KEY"] == "u:k"


def test_protocol_run_payload_drops_init_params_and_omits_missing_api_key() -> None:
    req = request(params={"a": 1, "secret": 2}, init_params={"secret": 2})
    payload = run_payload(req, deadline_ms=7)
    assert payload["value"] == {"a": 1}
    assert payload["activation_id"] == str(req.activation_id)
    assert payload["deadline"] == "7"
    assert "api_key" not in payload
