@echo off
rem docscan @VERSION@ offline install (64-bit Windows): a virtual environment next to this script,
rem wheels from windows-x86_64\ only, no network. Written to the bundle in GBK with CRLF line ends.
rem   install.bat [VENV_DIR] [pip options ...]
setlocal
set "HERE=%~dp0"
set "WHEELS=%HERE%windows-x86_64"
set "NEED=@PYTHON@"
set "VENV=%~1"
if "%VENV%"=="" set "VENV=%HERE%docscan-env"
if not "%~1"=="" shift

if not exist "%WHEELS%\requirements.txt" (
    echo docscan 安装失败：找不到 %WHEELS%\requirements.txt，离线安装包不完整
    goto :failed
)

set "PY="
py -%NEED% -c "import sys" >nul 2>&1 && set "PY=py -%NEED%"
if not defined PY set "PY=python"
%PY% -c "import sys, struct; sys.exit(0 if sys.version_info[:2] == (@PYTHON_TUPLE@) and struct.calcsize('P') == 8 else 1)" >nul 2>&1
if errorlevel 1 (
    echo docscan 安装失败：需要 64 位 Python %NEED%。请先安装 python.org 的 64 位 Python %NEED% 安装包。
    echo ^(needs 64-bit Python %NEED%^)
    goto :failed
)

%PY% -m venv --without-pip "%VENV%"
if errorlevel 1 (
    echo docscan 安装失败：无法创建虚拟环境 %VENV%，可指定其他位置：install.bat D:\docscan-env
    goto :failed
)

rem No index, no configuration file, no PIP_* variable; every wheel must match its SHA-256 in requirements.txt.
set "PIP_CONFIG_FILE=nul"
"%VENV%\Scripts\python.exe" "%WHEELS%\@PIP_WHEEL@\pip" --isolated install --no-index --find-links "%WHEELS%" --only-binary=:all: --require-hashes --disable-pip-version-check -r "%WHEELS%\requirements.txt" %1 %2 %3 %4 %5 %6 %7 %8 %9
if errorlevel 1 (
    echo docscan 安装失败：pip 安装出错，见上方信息
    goto :failed
)
"%VENV%\Scripts\docscan.exe" --version >nul
if errorlevel 1 (
    echo docscan 安装失败：安装后无法运行 docscan
    goto :failed
)
echo docscan 已安装到 %VENV%
echo 运行："%VENV%\Scripts\docscan.exe" scan 要检查的文件夹 --output 报告.jsonl
echo 试用样例："%VENV%\Scripts\docscan.exe" scan "%HERE%samples" --output 样例报告.jsonl
call :pause_if_clicked
exit /b 0

:failed
call :pause_if_clicked
exit /b 2

:pause_if_clicked
rem Double-clicked from Explorer: cmd /c "...install.bat" - keep the window open so the message can be read.
echo %CMDCMDLINE% | find /i "%~nx0" >nul && pause
exit /b 0
