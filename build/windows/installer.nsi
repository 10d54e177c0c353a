; The Windows installer of NHS login passkeys: build/bin/nhs-passkeys-installer.exe, made by
; `make windows` with NSIS's makensis (Debian's nsis package). It installs for the person
; running it, in their own programs folder, so it needs no administrator rights, like the app
; itself (webauthn.dll needs none). makensis is given VERSION, EXE and OUTFILE with -D.

Unicode true
!include "MUI2.nsh"

!define APPNAME "NHS login passkeys"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\nhs-passkeys"

Name "${APPNAME}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\NHS login passkeys"
InstallDirRegKey HKCU "Software\nhs-passkeys" "InstallDir"
SetCompressor /SOLID lzma

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "CompanyName" "NHS passkeys companion"
VIAddVersionKey "LegalCopyright" "NHS passkeys companion contributors"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"

!define MUI_ICON "icon.ico"
!define MUI_UNICON "icon.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\nhs-passkeys.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Install"
  SetOutPath "$INSTDIR"
  File "/oname=nhs-passkeys.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\nhs-passkeys.exe"
  WriteRegStr HKCU "Software\nhs-passkeys" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "NHS passkeys companion"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\nhs-passkeys.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

; Removes the program only: the account database (in %AppData%\nhs-passkeys) and passkeys
; are the person's, and Windows Hello passkeys stay in Windows until removed there or in the app.
Section "Uninstall"
  Delete "$INSTDIR\nhs-passkeys.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  DeleteRegKey HKCU "${UNINSTKEY}"
  DeleteRegKey HKCU "Software\nhs-passkeys"
SectionEnd
