/* The NHWC shift's plan and its micro-kernels (kernels/own_shift.c is the driver: tables,
 * threads, pixel classes; the micro-kernels, one set per ISA level, are own_vec.h's).
 *
 * An output pixel's channels are a few runs copied from neighbour pixels (zero outside the
 * image). Which groups have a source depends only on the pixel's class: first / middle /
 * last row x first / middle / last column (cls = 3 * row class + column class, 4 = the
 * interior). Per class the plan holds a program of "ops" with fixed offsets from the
 * output pixel's position, so the micro-kernels have no branch on the data. Two programs:
 * - chunk ops (AVX-512): one 16-channel output vector each, from the merge-masked loads of
 *   the groups that overlap it (kernels/own_shift_avx512.c says why it stays AVX-512);
 * - run ops (every other level, one body over the vector layer: own_shift_copy.h): each
 *   group's run copied W floats at a time (W: the level's vector width), then zeros, then
 *   tails shorter than a vector.
 * The programs work on segments: runs of channels that share a displacement (a contiguous
 * table's groups and its unmoved rest; an interleaved table's single channels). Tables
 * that reach past one pixel have more border classes than nine: there only the interior
 * (every source inside) runs a program, the border pixels are copied segment by segment. */
#ifndef SHIFTBENCH_OWN_SHIFT_H
#define SHIFTBENCH_OWN_SHIFT_H

#include "op.h"
#include "isa.h"

#define SHIFT_NBUCKET 5   /* AVX-512 chunks built from 0..4 loads; more (tiny groups) go to the last */

/* AVX-512 chunk op: out[dst, dst+16) = the merge of n masked loads at off[k]. */
typedef struct {
    int dst, n;
    int off[16];               /* at most one load per channel */
    unsigned short m[16];
} shift_chunk;

/* Run op: out[dst, dst+n) = in[src, src+n) (offsets from the output pixel's position), or
 * zeros. A class's runs are ordered copies (n = W), zeros (n = W), tails (n < W). A copy
 * may write up to a vector past its group's end when that stays inside the pixel: a
 * later group's op (copies and zeros after it, tails last) overwrites it. */
typedef struct { int dst, src, n, zero; } shift_run;

typedef struct shift_plan {
    op_desc d;
    isa_level isa;
    int nseg;                  /* segments: channels [lo, lo + len) displaced by (dh, dw) */
    int *dh, *dw, *lo, *len;
    long *off;                 /* segment g's source, in floats from the output pixel's position */
    int far;                   /* the table reaches past one pixel: programs for the interior only */
    int ya, yb, xa, xb;        /* the interior: rows [ya, yb), columns [xa, xb) have every source */
    int op_major;              /* few channels: a chunk at a time across a run of pixels */
    int nt;                    /* stream the stores (tensor larger than the caches; AVX-512) */
    long pf;                   /* > 0: prefetch the input pixel this far ahead (floats) */
    /* AVX-512 chunk program: per class, the chunks bucketed by how many loads build them
     * (0..NBUCKET-1, the last bucket takes more and the partial vector), bucket 1's
     * whole-vector chunks again as bare (dst, src) pairs, and chunk j of class cls. */
    shift_chunk *chunks;
    int start[9][SHIFT_NBUCKET + 2];
    int (*full)[2];
    int fstart[10];
    const shift_chunk **bychunk;   /* [9][nchunk] */
    /* Run program: class cls's copies [rstart[cls][0], [1]), zeros to [2], tails to [3]. */
    shift_run *runs;
    int rstart[9][4];
    int width;                 /* W of the run program */
} shift_plan;

/* The micro-kernels of one level: pixels [p0, p1) of class cls with its whole program, and
 * (chunk program only, else NULL) op j of class cls on cnt pixels from p0, ps pixels apart.
 * in, out: the whole tensors; whatever the pixels' real class, the driver makes sure the
 * sources read lie inside. */
typedef struct {
    void (*pixels)(const shift_plan *s, int cls, const float *in, float *out, long p0, long p1, int nt);
    void (*op)(const shift_plan *s, int cls, int j, const float *in, float *out, long p0, long cnt, long ps,
               int nt);
    int width;                 /* vector width in floats (the run program's W); 0: chunk program */
    void (*fence)(void);       /* orders streaming stores (NULL: none) */
} shift_ukernels;

#define SHIFT_UKERNELS(isa) SHIFT_UKERNELS_(isa)
#define SHIFT_UKERNELS_(isa) const shift_ukernels shift_ukernels_##isa
#if defined(__x86_64__) || defined(__i386__)
extern SHIFT_UKERNELS(avx512);   /* own_shift_avx512.c; the other levels' are static */
#endif

#endif
