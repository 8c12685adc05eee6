; Inno Setup 6 script: a Windows installer for the till from the one-folder build.
;
;   python tools\build_till.py                                   -> dist\memberpos\
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 tools\memberpos.iss
;                                                                -> dist\memberpos-0.1.0-setup.exe
;
; Program files go to C:\Program Files\memberpos (replaced whole on each upgrade). The till's
; data is NOT here: the store, its backups, devices.json and the logs live where platformdirs
; puts them for the user who runs the till (%LOCALAPPDATA%\memberpos, logs in
; %LOCALAPPDATA%\memberpos\Logs). The installer never writes or deletes there, and neither does
; the uninstaller; an upgrade first takes a verified backup with the release being replaced,
; and the new release migrates the store when it opens it.
;
; NOT TESTED on Windows by the project (written and reviewed on Linux; see README "Windows").

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "memberpos"
#define DistDir AddBackslash(SourcePath) + "..\dist\memberpos"

[Setup]
; The AppId never changes: it is how a new installer finds and upgrades the installed one.
AppId={{6F1C2E4B-9D3A-4C55-8B0E-2A7D5E9C1F30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=memberpos
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableDirPage=auto
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#SourcePath}\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; a running till holds its files open: ask Windows' Restart Manager to close it first
CloseApplications=yes
RestartApplications=no
UninstallDisplayIcon={app}\memberpos-till.exe

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "zh"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[InstallDelete]
; an upgrade replaces the program whole: no module of the previous release is left behind
; (data is never under {app})
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\memberpos 收银台"; Filename: "{app}\memberpos-till.exe"; WorkingDir: "{app}"
Name: "{group}\memberpos doctor (report for IT)"; Filename: "{cmd}"; Parameters: "/k ""{app}\memberpos.exe"" doctor"; WorkingDir: "{app}"
Name: "{group}\memberpos backup now"; Filename: "{cmd}"; Parameters: "/k ""{app}\memberpos.exe"" backup"; WorkingDir: "{app}"
Name: "{group}\Uninstall memberpos"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\memberpos-till.exe"; Description: "Open the till"; Flags: nowait postinstall skipifsilent runasoriginaluser

[Code]
// Before files are replaced on an upgrade: a verified backup of the store, taken by the
// release being replaced, as the user who runs the till (the store is in that user's
// %LOCALAPPDATA%). A failed backup stops the upgrade unless IT chooses to go on.
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  OldExe: String;
  Code: Integer;
begin
  Result := '';
  OldExe := ExpandConstant('{app}\memberpos.exe');
  if FileExists(OldExe) then
  begin
    if not ExecAsOriginalUser(OldExe, 'backup', '', SW_HIDE, ewWaitUntilTerminated, Code) or (Code <> 0) then
    begin
      if SuppressibleMsgBox('The backup before the upgrade failed (exit ' + IntToStr(Code) + '). ' +
                            'Run "memberpos.exe doctor" to see why. Upgrade anyway?',
                            mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) = IDNO then
        Result := 'Upgrade stopped: no backup could be taken. Nothing was changed.';
    end;
  end;
end;
