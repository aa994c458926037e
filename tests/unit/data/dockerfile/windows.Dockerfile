# escape=`

FROM mcr.microsoft.com/windows/servercore
COPY testfile.txt c:\
RUN dir c:\
RUN powershell -Command `
    $ErrorActionPreference = 'Stop'; `
    Write-Host "a\b"
WORKDIR c:\app
