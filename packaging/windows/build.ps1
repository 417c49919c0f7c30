<#
.SYNOPSIS
  Build the signed MSI of CME Desktop on a Windows build machine (docs/packaging.md).

.DESCRIPTION
  1. a build environment (.venv-build) with the program, Faker (for `cme demo`) and
     PyInstaller;
  2. the one-folder build: dist\cme-desktop\ (packaging\cme-desktop.spec);
  3. the two programs signed (signtool, the council's code-signing certificate,
     timestamped), then checked to start;
  4. the MSI: the folder harvested into build\files.wxs, then wix build;
  5. the MSI signed and every signature verified.

  Needs: Python 3.11 (64-bit) as `py -3.11`, the WiX Toolset v4 `wix` command
  (dotnet tool install --global wix --version 4.*), and signtool from the Windows SDK.
  Without -CertificateThumbprint nothing is signed (a test build, not for deployment).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 `
      -CertificateThumbprint 0123456789ABCDEF0123456789ABCDEF01234567 `
      -TimestampUrl http://timestamp.digicert.com -Manufacturer "Example County Council"
#>
param(
    # SHA-1 thumbprint of the code-signing certificate in the certificate store (or on its token).
    [string]$CertificateThumbprint = "",
    # The RFC 3161 timestamp server of the certificate's issuer: signatures stay valid after
    # the certificate expires.
    [string]$TimestampUrl = "http://timestamp.digicert.com",
    [string]$Manufacturer = "CME Desktop"
)

$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path (Join-Path $PSScriptRoot "..\.."))

function Invoke-Step {
    # Runs a program and stops the build when it fails (PowerShell does not, by itself).
    param([string]$Program, [Parameter(ValueFromRemainingArguments = $true)][string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Program $($Arguments -join ' ') failed ($LASTEXITCODE)" }
}

function Invoke-Signing {
    param([string[]]$Files)
    if (-not $CertificateThumbprint) { Write-Warning "Not signed (no -CertificateThumbprint): $Files"; return }
    Invoke-Step signtool sign /sha1 $CertificateThumbprint /fd SHA256 /tr $TimestampUrl /td SHA256 `
        /d "CME Desktop" @Files
    Invoke-Step signtool verify /pa /v @Files
}

if (-not (Test-Path .venv-build)) { Invoke-Step py -3.11 -m venv .venv-build }
$python = ".venv-build\Scripts\python.exe"
Invoke-Step $python -m pip install --quiet --upgrade pip
Invoke-Step $python -m pip install --quiet ".[demo,package]"

Invoke-Step $python -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller `
    packaging\cme-desktop.spec
$version = & $python -c "import sys; sys.path.insert(0, 'packaging'); import freeze_rules; print(freeze_rules.project_version())"
if ($LASTEXITCODE -ne 0) { throw "could not read the version from pyproject.toml" }

$programs = @("dist\cme-desktop\cme-desktop.exe", "dist\cme-desktop\cme.exe")
Invoke-Signing $programs
# The signed programs still start (a signature appended to a PyInstaller program must not
# hide the archive it carries).
Invoke-Step dist\cme-desktop\cme.exe --version
$check = Start-Process dist\cme-desktop\cme-desktop.exe -ArgumentList "--db", "$env:TEMP\cme-self-test.cme", "--self-test" -Wait -PassThru
if ($check.ExitCode -ne 0) { throw "cme-desktop.exe --self-test failed ($($check.ExitCode))" }

Invoke-Step $python packaging\windows\harvest.py dist\cme-desktop build\files.wxs
$msi = "dist\CME-Desktop-$version.msi"
Invoke-Step wix build packaging\windows\cme-desktop.wxs build\files.wxs -arch x64 `
    -d "Version=$version" -d "SourceDir=dist\cme-desktop" -d "Manufacturer=$Manufacturer" -o $msi
Invoke-Signing @($msi)
Write-Host "Built $msi"
