"""Row rules for Great Expectations suites over a national month (18 M rows): each rule is a SQL condition
selecting the rows that break it, and a failure reports how many rows it selected.

GE's own UnexpectedRowsExpectation asks for two metrics, the count and up to 200 of the rows, so each rule
scanned the staged month twice; and each rule is its own query. Here:
* `row_rule`: one rule, counted (one scan), not listed;
* `rule_set`: several rules over the same table, counted together in one scan by one GE metric
  (`msi_row_rules.counts`, computed once: every expectation of the set asks for it with the same
  arguments), each rule still its own expectation with its own result.
The refused rows are named afterwards, for a failed rule only, by the rule's own query
(pipelines/datasets/epd/validation.py), so GE's listing was never read.
GE is imported on first use (it takes seconds); the classes register themselves with GE when defined."""

from __future__ import annotations

from typing import ClassVar

ROW_RULE = "expect_no_rows_breaking_rule"
RULE_OF_SET = "expect_no_rows_breaking_rule_of_set"
RULE_TYPES = (ROW_RULE, RULE_OF_SET)
SET_METRIC = "msi_row_rules.counts"

_classes: dict = {}


def _define() -> dict:
    if _classes:
        return _classes
    import great_expectations.expectations as gxe
    from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
    from great_expectations.core.metric_domain_types import MetricDomainTypes
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.metric_provider import metric_value
    from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider

    class RowRuleCounts(QueryMetricProvider):
        """{rule key: rows it selects} for every rule of a set, from one statement over the batch."""

        metric_name = SET_METRIC
        value_keys = ("row_rules_query",)
        query_param_name: ClassVar[str] = "row_rules_query"

        @metric_value(engine=SqlAlchemyExecutionEngine)
        def _sqlalchemy(
            cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration
        ):
            batch, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
            query = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
                query=cls._get_query_from_metric_value_kwargs(metric_value_kwargs),
                batch_selectable=batch,
                execution_engine=execution_engine,
            )
            row = execution_engine.execute_query(sa.text(query)).fetchone()
            return {k: int(v) for k, v in row._mapping.items()}

    class ExpectNoRowsBreakingRule(gxe.UnexpectedRowsExpectation):
        metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            count = metrics["unexpected_rows_query.row_count"]
            return {"success": count == 0, "result": {"observed_value": count}}

    class ExpectNoRowsBreakingRuleOfSet(gxe.UnexpectedRowsExpectation):
        row_rules_query: str  # every rule of the set counted in one statement (rule_set builds it)
        rule_key: str  # this rule's column in that statement
        metric_dependencies: ClassVar[tuple[str, ...]] = (SET_METRIC,)
        # GE hands a metric the expectation's success keys: the set's statement must be one of them
        success_keys: ClassVar[tuple[str, ...]] = ("unexpected_rows_query", "row_rules_query", "rule_key")

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            count = metrics[SET_METRIC][self.rule_key]
            return {"success": count == 0, "result": {"observed_value": count}}

    _classes.update(rule=ExpectNoRowsBreakingRule, of_set=ExpectNoRowsBreakingRuleOfSet, metric=RowRuleCounts)
    return _classes


def row_rule(description: str, query: str):
    """Expect `query` ({batch} = the table) to select no row; the failure reports how many it did."""
    return _define()["rule"](description=description, unexpected_rows_query=query)


def rule_set(select: str, rules: list[tuple[str, str]]) -> list:
    """One expectation per (description, WHERE condition), all counted in one scan of the table.
    `select` is the start of each rule's own query (e.g. "SELECT practice_code FROM {batch} WHERE "), used
    to name the rows a failed rule refused. Conditions are constants of the calling module (GE fills in
    {batch}; literal braces doubled)."""
    counts = (
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {where}) AS rule_{i}" for i, (_, where) in enumerate(rules))
        + " FROM {batch}"
    )
    of_set = _define()["of_set"]
    return [
        of_set(description=text, unexpected_rows_query=select + where, row_rules_query=counts, rule_key=f"rule_{i}")
        for i, (text, where) in enumerate(rules)
    ]
