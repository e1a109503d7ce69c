"""Synthetic texts for the fingerprint tests (an invented project of the corpus's invented city)."""

from __future__ import annotations

import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "机密★10年"
TITLE = "关于江川市北郊应急指挥中心迁建工程的实施方案"
PARAGRAPHS = (
    "一、迁建工程选址位于江川市北郊青石岭东侧山体内，主体洞室埋深约八十五米，设计防护等级按照最高标准执行，"
    "总投资概算为四亿六千二百万元。",
    "二、指挥中心设置主备两套供电系统，主供电由青石岭变电站专线引入，备用电源为三台一千二百千瓦柴油发电机组，"
    "储油量可保障连续运行二十一天。",
    "三、通信系统采用有线光缆、短波电台和卫星链路三重备份，其中卫星终端型号为GX-7型，天线阵地设在洞口以北"
    "350米的伪装掩体内。",
    "四、工程分三期实施，第一期完成洞室开挖和支护，第二期完成机电安装，第三期完成系统联调，计划于二〇二七年"
    "六月底前具备值班条件。",
    "五、施工单位人员一律实行审查备案制度，进场人员名单报市国家安全局备案，施工期间现场禁止使用具有拍照和定位"
    "功能的电子设备。",
)
DISTINCTIVE = "备用电源为三台一千二百千瓦柴油发电机组"  # must never be found in the registry's bytes


def corpus_texts(folder: str) -> list[tuple[str, str]]:
    """(path, text) of every .txt under corpus/``folder``, sorted."""
    paths = sorted(glob.glob(os.path.join(ROOT, "corpus", folder, "**", "*.txt"), recursive=True))
    return [(p, open(p, encoding="utf-8").read()) for p in paths]


def wrap(text: str, width: int) -> list[str]:
    """``text`` cut into lines of ``width`` characters (a PDF or a plain-text copy's line breaks)."""
    return [text[i:i + width] for i in range(0, len(text), width)]
BODY_SENTENCE = PARAGRAPHS[3]
