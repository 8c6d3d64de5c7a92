; Inno Setup script: the Windows installer of the PyInstaller folder (dist\relman-desktop).
; Per-user install (no administrator needed), a Start menu entry, .relman files open in the app.
; ISCC /DAppVersion=X.Y.Z sets the version (CI passes the package version); a #define
; without #ifndef would override the command line.
#ifndef AppVersion
#define AppVersion "0.1.0"
#endif

[Setup]
AppId={{5B0B7A7E-52D4-4C1B-9E0A-6C2F1F3E9A11}
AppName=Release Manager Desktop
AppVersion={#AppVersion}
AppPublisher=Release Manager Desktop
DefaultDirName={autopf}\Release Manager Desktop
DefaultGroupName=Release Manager Desktop
PrivilegesRequired=lowest
ChangesAssociations=yes
OutputDir=..\..\dist
OutputBaseFilename=relman-desktop-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\relman-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Release Manager Desktop"; Filename: "{app}\relman-desktop.exe"
Name: "{group}\Uninstall Release Manager Desktop"; Filename: "{uninstallexe}"

[Registry]
Root: HKA; Subkey: "Software\Classes\.relman"; ValueType: string; ValueName: ""; ValueData: "RelmanDesktop.Plan"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\RelmanDesktop.Plan"; ValueType: string; ValueName: ""; ValueData: "Release Manager plan"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\RelmanDesktop.Plan\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\relman-desktop.exe,0"
Root: HKA; Subkey: "Software\Classes\RelmanDesktop.Plan\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\relman-desktop.exe"" ""%1"""

[Run]
Filename: "{app}\relman-desktop.exe"; Description: "Start Release Manager Desktop"; Flags: nowait postinstall skipifsilent
