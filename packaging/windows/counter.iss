; Inno Setup 6 script for Counter on Windows (docs/install.md, "Windows").
; NOT BUILT OR TRIED in this repository's CI, which runs on Linux only.
;
; First the one-folder app, on Windows with Python 3.11 (64-bit) from python.org:
;     py -3.11 scripts\build_package.py app        -> build\package\dist\counter\
; then this script (Inno Setup 6, https://jrsoftware.org/isinfo.php):
;     "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\counter.iss
;     -> build\package\counter-setup-0.1.0.exe
;
; Silent install for a fleet (SCCM/Intune/GPO/PDQ), as an administrator:
;     counter-setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SP- /LOG="C:\Windows\Temp\counter-setup.log"
; Silent removal:
;     "C:\Program Files\Counter\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Neither touches the stores: each account's data folder (%LOCALAPPDATA%\Counter) and key stay.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define SourceDir "..\..\build\package\dist\counter"

[Setup]
; The AppId identifies Counter across versions: an upgrade replaces the installed one. Never change it.
AppId={{6F3C2B1E-8C4D-4B7A-9E21-4C0A7D5E9B13}
AppName=Counter
AppVersion={#AppVersion}
AppPublisher=Counter developers
DefaultDirName={autopf}\Counter
DefaultGroupName=Counter
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
OutputDir=..\..\build\package
OutputBaseFilename=counter-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; an upgrade closes a running Counter first (the store is a SQLite file it holds open)
CloseApplications=yes
RestartApplications=no
UninstallDisplayName=Counter point of sale
MinVersion=10.0

[Files]
; the whole one-folder build; files of an older version that are no longer built are removed first
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\Counter"; Filename: "{app}\counterw.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\Counter"; Filename: "{app}\counterw.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: checkedonce

[Registry]
; `counter` in a command prompt (support, scripts): the install folder on the machine's PATH
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; \
    ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\counterw.exe"; Description: "Start Counter"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Path) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;
