; Rollbook's Windows installer, built with makensis (`make windows`, see README):
;
;   makensis -DVERSION=0.1.0 -DPUBLISHER=Rollbook -DSOURCE=<dir> -DICON=<icon.ico> \
;            -DOUTFILE=<setup.exe> packaging/windows/rollbook.nsi
;
; SOURCE holds rollbook.exe, rollbook-cli.exe and WebView2Loader.dll. The install is per user
; (no administrator needed) into %LOCALAPPDATA%\Programs\Rollbook, with a Start-menu shortcut,
; an entry in "Installed apps" and an uninstaller. `/S` installs silently; `/D=<dir>` (last on
; the command line) chooses the folder. The uninstaller keeps the user's attendance data
; (%LOCALAPPDATA%\org.rollbook.app) unless asked: a check box, or `/REMOVEDATA` when silent.

; A 64-bit installer for a 64-bit program (it also runs where 32-bit support is absent).
Target amd64-unicode
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include nsDialogs.nsh
!include x64.nsh

!ifndef VERSION | PUBLISHER | SOURCE | ICON | OUTFILE
  !error "define VERSION, PUBLISHER, SOURCE, ICON and OUTFILE (see the top of this file)"
!endif

!define APP "Rollbook"
!define IDENTIFIER "org.rollbook.app"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${IDENTIFIER}"
; The WebView2 Runtime's client id (Microsoft's documented registry key for detecting it).
!define WEBVIEW2_CLIENT "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_URL "https://go.microsoft.com/fwlink/p/?LinkId=2124703"

Name "${APP}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\${IDENTIFIER}" "InstallDir"
SetCompressor /SOLID lzma
ShowInstDetails show

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}, MIT licence"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\rollbook.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${APP}"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
UninstPage custom un.DataPage un.DataPageLeave
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Var RemoveData
Var RemoveDataBox

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${APP} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

Section "${APP}"
  SetOutPath "$INSTDIR"
  File "${SOURCE}\rollbook.exe"
  File "${SOURCE}\rollbook-cli.exe"
  File "${SOURCE}\WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\rollbook.exe"

  WriteRegStr HKCU "Software\${IDENTIFIER}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\rollbook.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"

  Call CheckWebView2
SectionEnd

; The window is drawn by the Microsoft Edge WebView2 Runtime: part of Windows 11, and of most
; Windows 10 machines through Edge. Without it Rollbook cannot open its window, so the installer
; says where to get it (the command line, rollbook-cli, works without it).
Function CheckWebView2
  StrCpy $0 ""
  SetRegView 64
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_CLIENT}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  SetRegView lastused
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    DetailPrint "The Microsoft Edge WebView2 Runtime is not installed: get it from ${WEBVIEW2_URL}"
    MessageBox MB_OK|MB_ICONEXCLAMATION "${APP} is installed, but its window needs the Microsoft Edge WebView2 Runtime, which this computer does not have.$\r$\n$\r$\nGet the Evergreen Runtime from Microsoft:$\r$\n${WEBVIEW2_URL}$\r$\n$\r$\n(rollbook-cli works without it.)" /SD IDOK
  ${Else}
    DetailPrint "Microsoft Edge WebView2 Runtime $0 found"
  ${EndIf}
FunctionEnd

Function un.onInit
  StrCpy $RemoveData 0
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/REMOVEDATA" $1
  ${IfNot} ${Errors}
    StrCpy $RemoveData 1
  ${EndIf}
FunctionEnd

Function un.DataPage
  !insertmacro MUI_HEADER_TEXT "Your attendance data" "Marks, history and settings are kept unless you choose otherwise."
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 36u "Rollbook keeps its data in $LOCALAPPDATA\${IDENTIFIER}. Marks not yet delivered to the school's server are only there."
  Pop $0
  ${NSD_CreateCheckbox} 0 44u 100% 12u "Also delete my attendance data and the saved sign-in"
  Pop $RemoveDataBox
  ${If} $RemoveData == 1
    ${NSD_Check} $RemoveDataBox
  ${EndIf}
  nsDialogs::Show
FunctionEnd

Function un.DataPageLeave
  ${NSD_GetState} $RemoveDataBox $RemoveData
  ${If} $RemoveData == ${BST_CHECKED}
    StrCpy $RemoveData 1
  ${Else}
    StrCpy $RemoveData 0
  ${EndIf}
FunctionEnd

Section "Uninstall"
  ${If} $RemoveData == 1
    ; The token lives in the Windows Credential Manager, not in the data folder.
    ExecWait '"$INSTDIR\rollbook-cli.exe" logout'
    RMDir /r "$LOCALAPPDATA\${IDENTIFIER}"
  ${EndIf}
  Delete "$INSTDIR\rollbook.exe"
  Delete "$INSTDIR\rollbook-cli.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP}\${APP}.lnk"
  RMDir "$SMPROGRAMS\${APP}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${IDENTIFIER}"
SectionEnd
