Attribute VB_Name = "XlPerfRibbon"
' 绩效自评助手加载项：“绩效自评”功能区选项卡的回调，作用于当前活动工作簿。每个回调只调用一次 Python。
Option Explicit

Public Sub XlPerfRibbonValidate(control As IRibbonControl)
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.validate_active()"
End Sub

Public Sub XlPerfRibbonExport(control As IRibbonControl)
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.export_active()"
End Sub

Public Sub XlPerfRibbonNewTemplate(control As IRibbonControl)
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.new_template_active()"
End Sub
