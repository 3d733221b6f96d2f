/* Strings from other people's files (results, arch, accuracy, weights) on their way out:
 * each function quotes for one target, so that no string runs a command, breaks a table or
 * drives the terminal. Every output of such a string goes through one of them.
 *
 * Unsafe characters, for every target: C0 controls and DEL, C1 controls (U+0080-U+009F,
 * e.g. U+009B, an 8-bit CSI), bidirectional overrides (U+202A-U+202E, U+2066-U+2069) and
 * bytes that are not valid UTF-8.
 *
 * The buffer forms write at most len - 1 bytes and a NUL (an escape is never cut in half)
 * and return out, for use inside printf arguments. */
#ifndef SHIFTBENCH_TEXT_H
#define SHIFTBENCH_TEXT_H

#include <stddef.h>

#define TEXT_BUF 1024   /* room for a 64-character name escaped for any target */

/* The first unsafe character of s, or NULL when there is none (for loaders that refuse). */
const char *text_unsafe(const char *s);

/* For the terminal and one-line messages: newline, CR and tab as spaces, every other unsafe
 * byte as \xNN. */
char *text_terminal(const char *s, char *out, size_t len);

/* A gnuplot string literal in single quotes, quotes included: ' doubled, unsafe characters
 * as spaces, "]]>" as "]] >" (not allowed in the SVG text gnuplot writes). (gnuplot
 * substitutes `command` and @macro outside single quotes, and inside double quotes runs the
 * backquotes; in single quotes only '' is special.) */
char *text_gnuplot(const char *s, char *out, size_t len);

/* A field of a tab-separated gnuplot data file: unsafe characters as spaces, " as ' (a
 * quote opens a quoted field), a leading # as _ (a comment line), "]]>" as "]] >". */
char *text_datafield(const char *s, char *out, size_t len);

/* Markdown text (CommonMark/GFM inline, table cells included): & < > as entities,
 * \ ` * _ [ ] | ~ ! # backslash-escaped, unsafe characters as spaces. */
char *text_markdown(const char *s, char *out, size_t len);
/* `s` as a code span when it can be one (no backquote, no |, nothing unsafe), else as
 * markdown text. */
char *text_markdown_code(const char *s, char *out, size_t len);

/* A file name component: at most max characters of [A-Za-z0-9._+=-], others as _, and no
 * leading dot (no "..", no hidden file). */
char *text_filename(const char *s, char *out, size_t len, size_t max);

#endif
