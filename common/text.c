#include "text.h"

#include <stdio.h>
#include <string.h>

/* The length of the character at s (1 for a byte that is not valid UTF-8) and whether it
 * is unsafe. */
static size_t unit(const unsigned char *s, int *unsafe) {
    unsigned c = s[0];
    *unsafe = 1;
    if (c < 0x20 || c == 0x7f) return 1;
    if (c < 0x80) { *unsafe = 0; return 1; }
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n) return 1;
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 1;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 1;   /* overlong, out of range, surrogate */
    *unsafe = cp <= 0x9f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
    return n;
}

const char *text_unsafe(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int bad;
        size_t n = unit(p, &bad);
        if (bad) return (const char *)p;
        p += n;
    }
    return NULL;
}

typedef struct { char *out; size_t len, o; int full; } sink;

static void put(sink *k, const char *piece, size_t n) {
    if (k->full || k->o + n >= k->len) { k->full = 1; return; }
    memcpy(k->out + k->o, piece, n);
    k->o += n;
}

/* Walks s; safe characters go through rule (which may substitute), unsafe ones become a
 * space (as_space) or \xNN per byte (whitespace controls become a space either way). */
static char *render(const char *s, char *out, size_t len, int as_space,
                    const char *(*rule)(const unsigned char *c, const unsigned char *start, char *two)) {
    sink k = { out, len, 0, len == 0 };
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int bad;
        size_t n = unit(p, &bad);
        if (bad && (*p == '\n' || *p == '\r' || *p == '\t' || as_space)) put(&k, " ", 1);
        else if (bad) {
            char hex[8];
            for (size_t i = 0; i < n; i++) put(&k, hex, (size_t)snprintf(hex, sizeof hex, "\\x%02x", p[i]));
        } else {
            char two[3];
            const char *r = rule && n == 1 ? rule(p, (const unsigned char *)s, two) : NULL;
            if (r) put(&k, r, strlen(r));
            else put(&k, (const char *)p, n);
        }
        p += n;
    }
    if (len) out[k.o] = 0;
    return out;
}

char *text_terminal(const char *s, char *out, size_t len) { return render(s, out, len, 0, NULL); }

/* "]]>" may not appear in the SVG gnuplot writes (XML text): "]] >" */
static const char *svg_rule(const unsigned char *c, const unsigned char *start) {
    return *c == '>' && c - start >= 2 && c[-1] == ']' && c[-2] == ']' ? " >" : NULL;
}

static const char *gnuplot_rule(const unsigned char *c, const unsigned char *start, char *two) {
    (void)two;
    return *c == '\'' ? "''" : svg_rule(c, start);
}

char *text_gnuplot(const char *s, char *out, size_t len) {
    if (len < 3) { if (len) out[0] = 0; return out; }
    out[0] = '\'';
    render(s, out + 1, len - 2, 1, gnuplot_rule);
    size_t n = strlen(out);
    out[n] = '\'', out[n + 1] = 0;
    return out;
}

static const char *datafield_rule(const unsigned char *c, const unsigned char *start, char *two) {
    (void)two;
    return *c == '"' ? "'" : *c == '#' && c == start ? "_" : svg_rule(c, start);
}

char *text_datafield(const char *s, char *out, size_t len) { return render(s, out, len, 1, datafield_rule); }

static const char *markdown_rule(const unsigned char *cp, const unsigned char *start, char *two) {
    unsigned char c = *cp;
    (void)start;
    static const char esc[] = "\\`*_[]|~!#";
    if (c == '&') return "&amp;";
    if (c == '<') return "&lt;";
    if (c == '>') return "&gt;";
    if (!strchr(esc, c)) return NULL;
    two[0] = '\\', two[1] = (char)c, two[2] = 0;
    return two;
}

char *text_markdown(const char *s, char *out, size_t len) { return render(s, out, len, 1, markdown_rule); }

char *text_markdown_code(const char *s, char *out, size_t len) {
    if (strpbrk(s, "`|") || text_unsafe(s) || len < 3 || strlen(s) + 3 > len) return text_markdown(s, out, len);
    snprintf(out, len, "`%s`", s);
    return out;
}

char *text_filename(const char *s, char *out, size_t len, size_t max) {
    size_t i = 0;
    for (; s[i] && i < max && i + 1 < len; i++) {
        char ch = s[i];
        int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                   ((ch == '.' && i > 0) || strchr("_+=-", ch));
        out[i] = keep ? ch : '_';
    }
    if (len) out[i < len ? i : len - 1] = 0;
    return out;
}
