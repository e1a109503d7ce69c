"""The content classifier: masking, training on a tiny corpus, data-only save/load, tamper refusal."""

import json
import os
import stat

import numpy as np
import pytest

from models import store
from models.classify import Classifier, prepare
from models.corpus import Doc
from models.mask import mask
from models.train import train
from scanner.errors import ModelError

SECRET = [
    "行动组于凌晨二时在码头东侧集结，目标人员落脚点已锁定，抓捕方案和撤离路线见附图，行动代号不得在电话中提及。",
    "谈判底线：单价不低于每吨四百二十美元，如对方坚持降价，可让步至四百一十美元，但须同时锁定三年供货期。",
    "本次考试试题及参考答案已由命题组封装，印制前由两名工作人员同时在场，答案卷存放于保险柜第二层。",
    "密钥每季度更换一次，新密钥由专人送达各节点，旧密钥销毁记录须双人签字，系统口令表另行下发。",
    "侦查发现嫌疑人使用三个境外账户转移资金，下一步拟对其通讯工具实施技术侦查，线索来源人身份严格保护。",
    "部队调整部署后，二营进驻北山一号阵地，弹药补给点设在水库南侧，各分队无线电静默至周五。",
]
INTERNAL = [
    "局务会议纪要：会议研究了下半年经费调整方案，办公室与财务科对车辆运行费用分歧较大，由分管领导再协调。",
    "值班人员通讯录：张伟 13800001111，李娜 13900002222，夜间值班须保持手机畅通，调班须提前报备办公室。",
    "审计发现：部分项目合同未经法律审核即签订，个别科室存在以会议费名义列支招待费问题，整改期限一个月。",
    "人事调整初步方案：拟提名王某任综合科科长，李某交流至后勤中心，方案尚需党组会研究，暂不对外。",
    "关于某某同志违纪问题的初步核实情况：反映其违规收受礼金的线索经核实部分属实，建议给予诫勉谈话。",
    "征求意见稿：各处室对本年度考核办法的修改意见请于周三前反馈综合处，汇总后提交局长办公会讨论。",
]
PUBLIC = [
    "市政府新闻办今日举行新闻发布会，介绍今年民生实事项目进展，全市新增公共停车泊位一万二千个。",
    "办事指南：申请人可通过政务服务网在线提交材料，审核通过后五个工作日内领取证件，不收取任何费用。",
    "国家统计局发布数据显示，上半年全国居民人均可支配收入同比增长百分之五点三，消费市场稳步恢复。",
    "保密宣传月活动启动，专家提醒广大干部职工不得在互联网上存储处理涉密信息，增强保密意识。",
    "本市将于下月举办马拉松比赛，赛事期间部分道路实行临时交通管制，请市民合理安排出行路线。",
    "公告：我局拟公开招聘工作人员十名，报名时间为本月十日至二十日，具体岗位要求见附件。",
]
TINY = {"min_df": 1, "word_max_features": 5000, "char_max_features": 5000, "C": 4.0}


def corpus():
    docs = []
    for label, texts in (("涉密", SECRET), ("内部", INTERNAL), ("公开", PUBLIC)):
        docs += [Doc(t, label, f"{label}-{i}") for i, t in enumerate(texts)]
    return docs


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    store.save(train(corpus(), TINY, folds=3), folder)
    return folder


def test_mask_removes_marks_and_handling_phrases_but_keeps_content():
    text = "000035\n秘密★1年\n特急\n关于行动方案的通知\n本方案（机密★10年）由指挥部制定。\n内部资料 注意保存\n会后收回"
    masked = mask(text)
    assert "★" not in masked and "秘密" not in masked and "机密" not in masked
    assert "注意保存" not in masked and "会后收回" not in masked and "000035" not in masked
    assert "关于行动方案的通知" in masked and "由指挥部制定" in masked


def test_mask_keeps_prose_about_secrecy():
    text = "国家秘密的密级分为绝密、机密、秘密三级。\n泄露国家秘密的，依法追究责任。"
    assert mask(text) == text


def test_prepare_caps_the_text_after_masking():
    assert len(prepare("秘密★1年\n" + "正文" * 5000, 300)) == 300
    assert not prepare("秘密★1年\n" + "正文" * 5000, 300).startswith("秘密")


def test_trained_model_separates_the_labels(model_dir):
    clf = Classifier.load(model_dir)
    probs = clf.probabilities(SECRET + INTERNAL + PUBLIC)
    predicted = [clf.classes[i] for i in probs.argmax(axis=1)]
    assert predicted == ["涉密"] * 6 + ["内部"] * 6 + ["公开"] * 6  # training data: fitted well


def test_suspicion_names_the_terms_that_drove_it(model_dir):
    clf = Classifier.load(model_dir)
    s = clf.predict("行动组凌晨集结，抓捕方案和撤离路线另附，目标人员落脚点已锁定，行动代号严格保密。")
    assert s is not None and s.label == "涉密"
    assert 0.5 <= s.score <= 1.0 and s.score >= clf.data.threshold
    assert s.terms and all(isinstance(t, str) and t for t in s.terms)
    assert any(t in "行动组凌晨集结抓捕方案撤离路线目标人员落脚点锁定" for t in s.terms)
    assert clf.predict("市政府新闻发布会介绍今年民生实事项目进展情况，公共停车泊位增加。") is None


def test_save_load_round_trip_gives_identical_scores(tmp_path):
    data = train(corpus(), TINY, folds=3)
    store.save(data, tmp_path / "a")
    loaded = store.load(tmp_path / "a")
    assert loaded.classes == data.classes and loaded.word_vocab == data.word_vocab
    for name in store.ARRAY_NAMES:
        assert np.array_equal(loaded.arrays[name], data.arrays[name])
    texts = SECRET[:2] + PUBLIC[:2]
    assert np.allclose(Classifier(data).probabilities(texts), Classifier(loaded).probabilities(texts))


def test_model_files_are_data_and_owner_only(model_dir):
    assert sorted(os.listdir(model_dir)) == ["arrays.npz", "card.json", "vocab.json"]
    for name in os.listdir(model_dir):
        assert stat.S_IMODE(os.stat(model_dir / name).st_mode) == 0o600
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["format"] == store.FORMAT and set(card["classes"]) == {"涉密", "内部", "公开"}
    assert len(card["training"]["manifest_sha256"]) == 64 and card["versions"]["scikit-learn"]
    assert "sensitive" in card["cross_validated"]


@pytest.mark.parametrize("victim", ["arrays.npz", "vocab.json"])
def test_tampered_model_is_refused(model_dir, tmp_path, victim):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    blob = bytearray((copy / victim).read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (copy / victim).write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="sha256 does not match"):
        Classifier.load(copy)


def test_a_pickle_in_place_of_the_arrays_is_refused_not_run(model_dir, tmp_path):
    """Even with a matching hash in the card, a pickled object array is never unpickled."""
    import hashlib
    import pickle
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    evil = pickle.dumps({"coef": object()})
    (copy / "arrays.npz").write_bytes(evil)
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["sha256"]["arrays.npz"] = hashlib.sha256(evil).hexdigest()
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError):
        Classifier.load(copy)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read model file"):
        Classifier.load(tmp_path / "nowhere")


def test_numpy_features_equal_scikit_learns_vectorizers(model_dir):
    """Prediction needs no scikit-learn, yet computes exactly what its vectorizers compute."""
    import scipy.sparse as sp

    from models.pipeline import char_vectorizer, word_vectorizer

    data = store.load(model_dir)
    word = word_vectorizer(vocabulary={t: i for i, t in enumerate(data.word_vocab)})
    word.idf_ = data.arrays["idf_word"]
    char = char_vectorizer(vocabulary={t: i for i, t in enumerate(data.char_vocab)})
    char.idf_ = data.arrays["idf_char"]
    clf = Classifier(data)
    for text in SECRET + PUBLIC + ["Key Vault 机密  与  Secret\t管理", "　"]:
        expected = sp.hstack([word.transform([text]), char.transform([text])]).toarray()[0]
        got = np.zeros_like(expected, dtype=np.float64)
        idx, val = clf.features.transform(text)
        got[idx] = val
        assert np.allclose(got, expected, atol=1e-6), text
