"""Drafting the 自评报告 (.docx) from the unit's workbooks."""
