"""Excel integration: xlwings UDFs, their VBA wrappers, the VBA project of .xlsm templates and the .xlam add-in,
and the actions the workbook buttons run. Only `udfs` and `actions` are imported inside Excel's Python."""
