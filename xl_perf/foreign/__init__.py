"""Forms others made: read a 项目支出 / 部门整体支出绩效自评表 in any reasonable layout into a data document.

`labels` normalises what forms print, `vocabulary` lists what they call each thing, `recognise` finds the tables
and fields on a sheet, `importer` opens the file (guarded), builds the data document and says where each value was
found. `xl-perf import` writes the document; `check` and `score` import in memory.
"""
