/* common/text.h: each target's quoting of hostile strings, and set_err's. */
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "check.h"

#define EQ(got, want) CHECK(!strcmp((got), (want)), "got [%s] want [%s]", (got), (want))

int main(void) {
    char b[TEXT_BUF];
    /* unsafe: C0, DEL, C1 (UTF-8 U+009B), bidi override, invalid UTF-8; safe: other UTF-8 */
    CHECK(text_unsafe("plain ascii `$(x)' \"|<>") == NULL, "ascii is safe");
    CHECK(text_unsafe("\xe2\x80\x94 \xce\xbc \xf0\x9f\x98\x80") == NULL, "UTF-8 is safe");
    const char *bad[] = { "a\x1b[31m", "a\n", "\x7f", "\xc2\x9b" "2J", "\xe2\x80\xae", "\xff", "\xc0\xaf",
                          "\xed\xa0\x80", "\xe2\x80" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(text_unsafe(bad[i]) != NULL, "unsafe #%zu", i);

    EQ(text_terminal("a\x1b[31mb\tc\nd\xc2\x9b", b, sizeof b), "a\\x1b[31mb c d\\xc2\\x9b");
    /* gnuplot: single quotes, '' doubled; nothing else is special in them */
    EQ(text_gnuplot("it's `cmd` $(x) @m \"q\" \\n", b, sizeof b), "'it''s `cmd` $(x) @m \"q\" \\n'");
    EQ(text_gnuplot("a\x1b" "b\nc", b, sizeof b), "'a b c'");
    char small[8];
    EQ(text_gnuplot("abcdefghij", small, sizeof small), "'abcde'");   /* cut, still closed */
    EQ(text_gnuplot("'''''", small, sizeof small), "''''''");          /* never half a '' */
    EQ(text_datafield("#a\t\"b\"#", b, sizeof b), "_a 'b'#");
    EQ(text_datafield("x]]>y", b, sizeof b), "x]] >y");   /* no "]]>" in the SVG */
    EQ(text_gnuplot("x]]>y]>", b, sizeof b), "'x]] >y]>'");
    EQ(text_markdown("a|b <i>&x *y* _z_ [l](u) `c` \\ ~s~ ![i] #h", b, sizeof b),
       "a\\|b &lt;i&gt;&amp;x \\*y\\* \\_z\\_ \\[l\\](u) \\`c\\` \\\\ \\~s\\~ \\!\\[i\\] \\#h");
    EQ(text_markdown_code("results/net-a.json", b, sizeof b), "`results/net-a.json`");
    EQ(text_markdown_code("a`b|c", b, sizeof b), "a\\`b\\|c");
    EQ(text_filename("../x y/$(z).json", b, sizeof b, 80), "_._x_y___z_.json");
    EQ(text_filename("..", b, sizeof b, 80), "_.");
    EQ(text_filename("abcdef", b, sizeof b, 3), "abc");
    /* every one-line error is terminal-safe, whatever file it quotes */
    char err[ERRLEN];
    set_err(err, sizeof err, "bad name '%s'", "\x1b]0;title\x07x\ny");
    EQ(err, "bad name '\\x1b]0;title\\x07x y'");
    return check_done("test_text");
}
