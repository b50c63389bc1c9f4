/*
 * test_cjk_ranges.cc — the index shim's copy of Xapian's CJK ranges (dg_index_is_cjk)
 * agrees with Xapian itself.
 *
 * Xapian does not export its list, so the shim keeps a copy; this test does not compare it
 * with another copy but with what the installed Xapian's TermGenerator does. With
 * FLAG_CJK_NGRAM, a word character Xapian takes for CJK is split off the letters around it
 * ("a" X "a" gives the term "a" on its own), one it does not is part of the word ("axa").
 * Every word character of Unicode is tried, so every edge of every range is. Characters
 * that are not word characters are skipped: Xapian indexes none of them, so whether they
 * count as CJK there cannot be seen, and no term of the index can hold one.
 *
 * C++ because TermGenerator is: the only C++ of dangan is the shim, and its tests.
 */
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdio>
#include <string>

extern "C" {
#include <cmocka.h>

#include "../../index/index.h"
}

#include <xapian.h>

/* 1 when Xapian's TermGenerator splits the word character cp off the letters around it. */
static int xapian_splits_off(Xapian::TermGenerator &tg, uint32_t cp)
{
    std::string text = "a";
    Xapian::Unicode::append_utf8(text, cp);
    text += "a";
    Xapian::Document doc;
    tg.set_document(doc);
    tg.index_text(text);
    return doc.termlist_begin() != doc.termlist_end() && *doc.termlist_begin() == "a";
}

static void test_shim_cjk_ranges_agree_with_xapian_for_every_word_character(void **state)
{
    (void)state;
    Xapian::TermGenerator tg;
    tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    unsigned long tried = 0, cjk = 0, disagreements = 0;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if ((cp >= 0xD800 && cp <= 0xDFFF) || !Xapian::Unicode::is_wordchar(cp))
            continue;
        int xapian = xapian_splits_off(tg, cp);
        int shim = dg_index_is_cjk(cp) != 0;
        tried++;
        cjk += xapian;
        if (xapian != shim && disagreements++ < 20)
            fprintf(stderr, "U+%04X: Xapian %s it CJK, the shim %s\n", (unsigned)cp,
                    xapian ? "takes" : "does not take", shim ? "does" : "does not");
    }
    assert_int_equal(disagreements, 0);
    /* The loop did see both kinds, in numbers: CJK ideographs alone are over 70,000. */
    assert_true(cjk > 70000);
    assert_true(tried - cjk > 10000);
}

/* The split the test relies on, shown on characters whose kind no Xapian release doubts. */
static void test_xapian_splits_han_and_hangul_but_not_latin_or_cyrillic(void **state)
{
    (void)state;
    Xapian::TermGenerator tg;
    tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    assert_true(xapian_splits_off(tg, 0x6587));  /* 文 */
    assert_true(xapian_splits_off(tg, 0xD55C));  /* 한 */
    assert_false(xapian_splits_off(tg, 'b'));
    assert_false(xapian_splits_off(tg, 0x0436)); /* ж */
    assert_true(dg_index_is_cjk(0x6587));
    assert_false(dg_index_is_cjk(0x0436));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xapian_splits_han_and_hangul_but_not_latin_or_cyrillic),
        cmocka_unit_test(test_shim_cjk_ranges_agree_with_xapian_for_every_word_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
