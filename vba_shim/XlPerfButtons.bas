Attribute VB_Name = "XlPerfButtons"
' 绩效自评助手：工作簿按钮与功能区按钮。每个宏只调用一次 Python（xlwings RunPython），不含业务逻辑。
Option Explicit

Public Sub XlPerfValidate()
    RunPython "import xl_perf.excel.actions as a; a.validate_active()"
End Sub

Public Sub XlPerfExport()
    RunPython "import xl_perf.excel.actions as a; a.export_active()"
End Sub

Public Sub XlPerfValidateAndExport()
    RunPython "import xl_perf.excel.actions as a; a.validate_and_export_active()"
End Sub

Public Sub XlPerfNewTemplate()
    RunPython "import xl_perf.excel.actions as a; a.new_template_active()"
End Sub

Public Function XP_VBA_VERSION() As String
    XP_VBA_VERSION = "xl-perf-vba-1"
End Function
