/* Kernel descriptors: benchdnn defaults, canonical names, and one-line errors for
 * everything malformed. */
#include <string.h>

#include "../bench/desc.h"
#include "../common/util.h"
#include "check.h"

static op_desc d;
static char name[256], err[ERRLEN];

static int ok(const char *s, op_kind op) {
    int r = desc_parse(s, op, NULL, 0, &d, name, sizeof name, err, sizeof err);
    CHECK(r == 0, "'%s' (%s) should parse: %s", s, op_name(op), err);
    return r == 0;
}

/* Fails with an error naming the descriptor (or empty) that contains want, on one line. */
static void bad(const char *s, op_kind op, const char *want) {
    err[0] = 0;
    int r = desc_parse(s, op, NULL, 0, &d, name, sizeof name, err, sizeof err);
    CHECK(r == -1, "'%s' (%s) should fail", s, op_name(op));
    CHECK(strstr(err, want) != NULL, "'%s': error '%s' lacks '%s'", s, err, want);
    CHECK(strchr(err, '\n') == NULL, "'%s': error on more than one line", s);
}

int main(void) {
    if (ok("mb1ic64ih56oc256oh56kh1", OP_CONV)) {
        CHECK(d.n == 1 && d.c == 64 && d.h == 56 && d.w == 56 && d.oc == 256 && d.oh == 56 &&
              d.ow == 56 && d.kh == 1 && d.kw == 1 && d.stride == 1 && d.pad == 0, "1x1 conv fields");
        CHECK(!strcmp(name, "mb1ic64ih56oc256oh56kh1"), "canonical name %s", name);
    }
    if (ok("mb8ic256ih56iw56oc64kh3sh2ph1", OP_CONV)) {
        CHECK(d.n == 8 && d.oh == 28 && d.ow == 28 && d.kw == 3 && d.stride == 2 && d.pad == 1,
              "strided 3x3: oh %d ow %d", d.oh, d.ow);
        CHECK(!strcmp(name, "mb8ic256ih56oc64oh28kh3sh2ph1"), "canonical %s", name);
    }
    if (ok("g64mb1ic64ih56oc64kh3ph1", OP_CONV)) {   /* benchdnn's groups field: depthwise */
        CHECK(d.groups == 64 && d.oh == 56 && op_weight_count(&d) == 64 * 9, "depthwise: g %d, %zu weights", d.groups,
              op_weight_count(&d));
        CHECK(!strcmp(name, "g64mb1ic64ih56oc64oh56kh3ph1"), "grouped canonical %s", name);
    }
    if (ok("ic64ih56oc128kh3ph1g2", OP_CONV)) CHECK(d.groups == 2 && op_weight_count(&d) == 128 * 32 * 9, "g2 anywhere");
    bad("g3ic64ih56oc64kh3", OP_CONV, "groups 3 must divide");
    bad("g2ic64ih56", OP_SHIFT, "g does not apply to shift");
    if (ok("ic3ih224oc64kh7sh2ph3", OP_CONV))
        CHECK(d.n == 1 && d.oh == 112 && d.ow == 112, "stem: mb default 1, oh %d", d.oh);
    if (ok("mb1_ic64_ih56_oc64_kh3ph1_n\"layer1.0.conv2\"", OP_CONV))
        CHECK(!strcmp(name, "layer1.0.conv2") && d.oh == 56, "named: %s", name);
    if (ok("ic64ih56iw28oc64kh3kw1", OP_CONV))
        CHECK(d.w == 28 && d.kw == 1 && d.ow == 28 && d.oh == 54, "rectangular: %dx%d", d.oh, d.ow);
    if (ok("ic64ih56nmyconv", OP_SHIFT))
        CHECK(!strcmp(name, "myconv") && d.oc == 64 && d.oh == 56 && d.conn == 4, "shift, bare name");
    if (ok("ic64ih56", OP_SHIFT)) CHECK(!strcmp(name, "mb1ic64ih56"), "shift canonical %s", name);
    if (ok("ic64ih56oc256sh2", OP_SHIFTCONV))
        CHECK(d.kh == 1 && d.oh == 28 && !strcmp(name, "mb1ic64ih56oc256oh28sh2"), "shiftconv %s", name);
    if (ok("ic64ih112kh3sh2ph1", OP_MAXPOOL))
        CHECK(d.oh == 56 && d.oc == 64 && !strcmp(name, "mb1ic64ih112oh56kh3sh2ph1"), "maxpool %s", name);
    if (ok("ic256ih56kh2sh2", OP_AVGPOOL)) CHECK(d.oh == 28, "avgpool oh %d", d.oh);
    if (ok("ic2048ih7", OP_GAP)) CHECK(d.oh == 1 && d.ow == 1 && d.oc == 2048, "gap");
    if (ok("ic2048oc1000", OP_FC)) CHECK(d.h == 1 && !strcmp(name, "mb1ic2048oc1000"), "fc %s", name);
    if (ok("mb2ic64ih56", OP_ADD)) CHECK(d.n == 2 && d.oc == 64, "add");
    if (ok("ic64ih56", OP_RELU)) CHECK(d.oc == 64, "relu");
    CHECK(desc_parse("ic64ih56oc64kh1", OP_CONV, NULL, 1, &d, name, sizeof name, err, sizeof err) == 0 &&
          d.relu == 1, "fused relu: %s", err);
    CHECK(desc_parse("ic64ih56", OP_SHIFT, &(op_desc){ .conn = 8 }, 0, &d, name, sizeof name, err, sizeof err) == 0 &&
          d.conn == 8, "8-connected");

    bad("", OP_CONV, "empty descriptor");
    bad("mb1ic64ih56oc256xx3kh1", OP_CONV, "unknown field at 'xx3kh1'");
    bad("mb1ic64ih56oc256q2kh1", OP_CONV, "unknown field");
    bad("mb1icih56oc256kh1", OP_CONV, "'ic' needs a number");
    bad("mb1ic64ih56oc256kh", OP_CONV, "'kh' needs a number");
    bad("mb1ic0ih56oc256kh1", OP_CONV, "ic must be at least 1");
    bad("ic64ih56oc64kh1n\"x\033[2Jy\"", OP_CONV, "a control character in the name");   /* a terminal escape */
    bad("mb1ic-3ih56oc256kh1", OP_CONV, "'ic' needs a number");
    bad("mb1ic64ih56oc256kh1mb2", OP_CONV, "'mb' given twice");
    bad("ic99999999999999999999ih56oc256kh1", OP_CONV, "too large");
    bad("ic2000000ih56oc256kh1", OP_CONV, "too large");
    bad("ic50000ih50000oc50000kh1", OP_CONV, "too many elements");
    bad("ih56oc256kh1", OP_CONV, "ic (input channels) is required");
    bad("ic64oc256kh1", OP_CONV, "ih (input height) is required");
    bad("ic64ih56oc256", OP_CONV, "kh (window height) is required");
    bad("ic64ih56kh1", OP_CONV, "oc (output channels) is required");
    bad("ic64ih56oc64kh3sh2sw1", OP_CONV, "strides must be square");
    bad("ic64ih56oc64kh3ph1pw0", OP_CONV, "padding must be square");
    bad("ic64ih56oc64oh55kh1", OP_CONV, "does not match");
    bad("ic64ih2oc64kh3", OP_CONV, "would be 0");
    bad("ic64ih56kh3", OP_SHIFT, "kh does not apply to shift");
    bad("ic4ih56", OP_SHIFT, "at least 5 channels");
    bad("ic64ih56oc32", OP_RELU, "must equal input channels");
    bad("ic64ih7oc10", OP_FC, "h = w = 1");
    bad("ic64ih56oc64kh3", OP_SHIFTCONV, "1x1");
    bad("ic64ih56oc64kh1n\"x\"ph1", OP_CONV, "must come last");
    bad("ic64ih56oc64kh1n\"x", OP_CONV, "unterminated");
    bad("ic64ih56oc64kh1n\"\"", OP_CONV, "empty name");
    CHECK(desc_parse("ic64ih56", OP_MAXPOOL, NULL, 1, &d, name, sizeof name, err, sizeof err) == -1,
          "maxpool without kh");
    CHECK(desc_parse("ic64ih56kh3", OP_MAXPOOL, NULL, 1, &d, name, sizeof name, err, sizeof err) == -1 &&
          strstr(err, "ReLU"), "maxpool has no fused relu: %s", err);
    return check_done("test_desc");
}
