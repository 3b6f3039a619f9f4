Attribute VB_Name = "XlPerfButtons"
' 绩效自评助手：工作簿上的按钮。每个宏只调用一次 Python（xlwings RunPython），不含业务逻辑。
' 点按钮时先为 XP_ 函数登记中文说明（函数向导中可见；重复登记无害），因此工作簿不需要打开时自动运行的宏。
Option Explicit

Public Sub XlPerfValidate()
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.validate_active()"
End Sub

Public Sub XlPerfExport()
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.export_active()"
End Sub

Public Sub XlPerfValidateAndExport()
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.validate_and_export_active()"
End Sub

Public Sub XlPerfNewTemplate()
    XlPerfRegisterFunctions
    RunPython "import xl_perf.excel.actions as a; a.new_template_active()"
End Sub

Public Function XP_VBA_VERSION() As String
    XP_VBA_VERSION = "xl-perf-vba-1"
End Function
