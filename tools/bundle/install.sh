#!/bin/sh
# docscan @VERSION@ 离线安装（Linux x86-64）：在本文件旁创建虚拟环境，只从 linux-x86_64/ 中的 wheel 安装，不联网。
# Offline install: a virtual environment next to this script, wheels from linux-x86_64/ only, no network.
#
#   sh install.sh [安装位置 VENV_DIR] [pip 选项 ...]
#   PYTHON=/path/to/python@PYTHON@ sh install.sh       # python@PYTHON@ 不在 PATH 中时
set -eu

HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
WHEELS="$HERE/linux-x86_64"
NEED="@PYTHON@"
VENV="${1:-$HERE/docscan-env}"
[ $# -gt 0 ] && shift

fail() {
    echo "docscan 安装失败：$1" >&2
    exit 2
}

[ -f "$WHEELS/requirements.txt" ] || fail "找不到 $WHEELS/requirements.txt（离线安装包不完整）(incomplete bundle)"
[ "$(uname -m)" = "x86_64" ] || fail "本安装包只适用于 x86-64 (this bundle is for x86-64 only): $(uname -m)"

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    for candidate in "python$NEED" python3 python; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
    done
fi
[ -n "$PYTHON" ] || fail "找不到 Python $NEED (Python $NEED not found)"
HAVE=$("$PYTHON" -c 'import sys, struct; print("%d.%d/%d" % (sys.version_info[0], sys.version_info[1], 8 * struct.calcsize("P")))' 2>/dev/null || echo "?")
[ "$HAVE" = "$NEED/64" ] || fail "需要 64 位 Python $NEED，$PYTHON 是 $HAVE。请安装 Python $NEED，或用 PYTHON=/path/to/python$NEED sh install.sh (needs 64-bit Python $NEED)"

# Without pip in the new environment: Debian, UOS and Kylin ship venv without ensurepip unless python3-venv
# is installed. pip itself runs from its wheel in the bundle.
"$PYTHON" -m venv --without-pip "$VENV" || fail "无法创建虚拟环境 $VENV（目录不可写？可指定其他位置：sh install.sh /opt/docscan-env）"

# No index, no configuration file, no PIP_* variable; every wheel must match its SHA-256 in requirements.txt.
export PIP_CONFIG_FILE=/dev/null
"$VENV/bin/python" "$WHEELS/@PIP_WHEEL@/pip" --isolated install --no-index --find-links "$WHEELS" \
    --only-binary=:all: --require-hashes --disable-pip-version-check -r "$WHEELS/requirements.txt" "$@" \
    || fail "pip 安装出错，见上方信息 (pip failed, see above)"

"$VENV/bin/docscan" --version >/dev/null || fail "安装后无法运行 docscan (docscan does not start)"
echo "docscan 已安装到 $VENV (installed)"
echo "运行：$VENV/bin/docscan scan 要检查的文件夹 --output 报告.jsonl"
echo "试用样例：$VENV/bin/docscan scan \"$HERE/samples\" --output 样例报告.jsonl"
