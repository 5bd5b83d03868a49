<#
.SYNOPSIS
  Applies the PowerSTIG Windows Server baseline to this host with PowerShell DSC, for
  `stigpack fleet apply --profile powerstig` (docs/winrm.md, "Tool profiles").

.DESCRIPTION
  Copy this script to C:\STIG\PowerSTIG\Apply-PowerStig.ps1 on each host (or point a
  profile of your own at wherever you keep it). The PowerSTIG module and the DSC resources
  it depends on must be installed (Install-Module PowerSTIG). The script compiles the
  WindowsServer composite resource into a MOF under -WorkDir, applies it with
  Start-DscConfiguration and waits for it to finish.

  Exit codes (the profile's expected_exit_codes are 0 and 3010):
    0     applied
    3010  applied; a restart is pending before every setting takes effect
    1     anything failed (the message is on stderr)

  Organisation settings, exceptions and skipped rules: pass -OrgSettings (a PowerSTIG
  organisational settings XML file) and -SkipRule (rule ids); see PowerSTIG's wiki.
#>
param(
    [Parameter(Mandatory = $true)][string]$OsVersion,
    [ValidateSet('MS', 'DC')][string]$OsRole = 'MS',
    [string]$StigVersion,
    [string]$OrgSettings,
    [string[]]$SkipRule = @(),
    [string]$WorkDir = 'C:\STIG\PowerSTIG\Work'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Fail([string]$Message) {
    [Console]::Error.WriteLine('Apply-PowerStig: ' + $Message)
    exit 1
}

try {
    Import-Module PowerSTIG -ErrorAction Stop
} catch {
    Fail ('the PowerSTIG module is not installed: ' + $_.Exception.Message)
}

function Quote([string]$Value) { "'" + $Value.Replace("'", "''") + "'" }

# PowerSTIG's composite resources refuse a null or empty optional parameter, and a DSC
# resource block cannot be splatted, so the block holds only the settings given.
$settings = @(
    'OsVersion = ' + (Quote $OsVersion),
    'OsRole = ' + (Quote $OsRole)
)
if ($StigVersion) { $settings += 'StigVersion = ' + (Quote $StigVersion) }
if ($OrgSettings) { $settings += 'OrgSettings = ' + (Quote $OrgSettings) }
if ($SkipRule.Count -gt 0) {
    $settings += 'SkipRule = @(' + (($SkipRule | ForEach-Object { Quote $_ }) -join ', ') + ')'
}
$configuration = @"
Configuration StigpackPowerStig {
    Import-DscResource -ModuleName PowerSTIG
    Node localhost {
        WindowsServer Baseline {
            $($settings -join "`n            ")
        }
    }
}
"@

try {
    if (Test-Path -LiteralPath $WorkDir) {
        Remove-Item -LiteralPath $WorkDir -Recurse -Force
    }
    New-Item -ItemType Directory -Path $WorkDir -Force | Out-Null
    . ([scriptblock]::Create($configuration))
    StigpackPowerStig -OutputPath $WorkDir | Out-Null
    Start-DscConfiguration -Path $WorkDir -Wait -Force -ErrorAction Stop
} catch {
    Fail $_.Exception.Message
}

# A resource that needs a restart leaves the Local Configuration Manager waiting for it.
try {
    if ((Get-DscLocalConfigurationManager).LCMState -eq 'PendingReboot') { exit 3010 }
} catch {
    Fail ('applied, but the restart state is unknown: ' + $_.Exception.Message)
}
exit 0
