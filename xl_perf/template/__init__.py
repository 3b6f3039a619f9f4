"""Template description: where every field, table, indicator and formula of a framework sits in a workbook.

`builder.build()` turns a rule pack (plus year, level, unit and the data to fill) into a `Layout`: sheets of cells, each
cell either static text, an input bound to a data-document field, or a computed cell whose formula comes from a
`FormulaBuilder`. The native builder writes Excel formulas (the .xlsx variant, computing in Excel, WPS and
LibreOffice); the UDF builder of the Excel integration writes calls to the Python UDFs (the .xlsm variant). Writers
and readers in `xl_perf.io` only follow the layout, so both variants and the reader always agree.
"""
