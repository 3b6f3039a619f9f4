"""Checks of a self-evaluation REPORT (自评报告): its text against itself, the rules and the unit's workbooks."""

from xl_perf.validate.report.check import check_report, check_text

__all__ = ["check_report", "check_text"]
