/* dncguard._ledger._chainc: the ledger's hash chain over a buffer of entries, in C.
 *
 * An optional speed-up: dncguard._ledger._chain has the same functions in Python, which give
 * the same bytes (the tests run both and compare). The digest of an entry is
 *
 *     digest(seq) = SHA-256(digest(seq - 1) || canonical(seq))
 *
 * and a page's payload is the entries' canonical bytes, each followed by a line feed (an
 * entry's bytes never hold one: they are ASCII JSON). The work is done with the GIL released,
 * so other threads (the scrubber deciding the next batch, SQLite writing the last chunk) run
 * meanwhile. SHA-256 is OpenSSL's (libcrypto, which CPython's hashlib uses too).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define DIGEST 32

static void
chain_lines(const unsigned char *previous, const unsigned char *data, Py_ssize_t size,
            unsigned char *out, Py_ssize_t most)
{
    /* At most ``most`` digests (what ``out`` holds): ``data`` read again after it was counted
     * could hold more lines if its owner changed it meanwhile (a mutable buffer). */
    const unsigned char *p = data, *end = data + size, *prev = previous;
    SHA256_CTX ctx;
    while (p < end && most-- > 0) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            break;
        }
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, prev, DIGEST);
        SHA256_Update(&ctx, p, (size_t)(nl - p));
        SHA256_Final(out, &ctx);
        prev = out;
        out += DIGEST;
        p = nl + 1;
    }
}

static Py_ssize_t
count_lines(const unsigned char *data, Py_ssize_t size)
{
    const unsigned char *p = data, *end = data + size;
    Py_ssize_t n = 0;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            break;
        }
        n++;
        p = nl + 1;
    }
    return n;
}

PyDoc_STRVAR(chain_doc,
"chain(previous, payload, /)\n--\n\n"
"The digests (32 bytes each, one after the other) of the entries of ``payload``, each ended by\n"
"a line feed, chained from ``previous`` (32 bytes): SHA-256(previous || entry), then\n"
"SHA-256(that || next entry), ... Bytes after the last line feed are not an entry.");

static PyObject *
chain(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer previous, payload;
    PyObject *out = NULL;
    Py_ssize_t n;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "chain() takes previous and payload");
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &previous, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &payload, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&previous);
        return NULL;
    }
    if (previous.len != DIGEST) {
        PyErr_SetString(PyExc_ValueError, "chain(): previous must be a 32-byte digest");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    n = count_lines(payload.buf, payload.len);
    Py_END_ALLOW_THREADS
    out = PyBytes_FromStringAndSize(NULL, n * DIGEST);
    if (out == NULL) {
        goto done;
    }
    {
        unsigned char *digests = (unsigned char *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        chain_lines(previous.buf, payload.buf, payload.len, digests, n);
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&payload);
    PyBuffer_Release(&previous);
    return out;
}


/* join(pieces, n, first_seq): n lines, line i the pieces' i-th values one after the other, then
 * a line feed. A piece is one of:
 *   bytes                                   the same text in every line;
 *   None                                    the line's seq (first_seq + i) in decimal;
 *   (offsets, data, offset)                 an Arrow string array of n values without nulls: its
 *                                           int32 value offsets, its data, its offset into them;
 *   (1, offsets, data, offset)              the same, each value written between double quotes;
 *   (2, text_ends, texts, index)            taken: text index[i] (int64) of a table of texts,
 *                                           text k the bytes texts[text_ends[k]:text_ends[k+1]]
 *                                           (text_ends: int64, from 0, one more than the texts);
 *   (3, numbers, fallback)                  a number: "+1" and numbers[i] (uint64) in decimal,
 *                                           between double quotes; where it is 0, the fallback's
 *                                           value (a piece of kind (offsets, ...) or 1);
 *   (4, micros, offsets, text_ends, texts, index, valid)
 *                                           a time: UTC microseconds micros[i] (int64) at the UTC
 *                                           offset offsets[i] (int64 seconds), written
 *                                           "YYYY-MM-DDTHH:MM:SS[.ffffff]" then the text
 *                                           index[i] of the table, then a double quote; null
 *                                           where valid (uint8, or None: all valid) is 0;
 *   (5, values)                             values[i] (uint64) in decimal;
 *   (6, text_ends, texts, index)            whole lines: where index[i] (int64) is k >= 0, line i
 *                                           is text k of the table alone (the other pieces are
 *                                           not written, nor read, for it); where it is -1, this
 *                                           piece writes nothing and the line is the others'. At
 *                                           most one such piece.
 * Every buffer is checked (lengths when taken; offsets, indices and times as each value is
 * read, and the room left before each write): input that does not hold raises ValueError,
 * never a read or write outside a buffer. Returns (payload, ends): the lines, and the int64
 * end of each line in payload after a leading 0; as bytes, or (join(pieces, n, first_seq,
 * allocate)) in the buffers allocate(size) returns for each: new and writable, at least size
 * bytes (a memory pool's that keeps its pages: a fresh buffer's pages faulted in cost more
 * than joining the lines into them). */
enum { CONST, SEQ, ARRAY, QUOTED, TAKEN, NUMBER, STAMP, DECIMAL, WHOLE };

#define MAX_BUFS 6

typedef struct {
    int kind;
    int held;                  /* buffers held in b[0..held) */
    Py_buffer b[MAX_BUFS];
    Py_ssize_t offset;         /* ARRAY, QUOTED, NUMBER's fallback: the array's offset */
    int fallback_quoted;       /* NUMBER: its fallback written between quotes */
    int has_valid;             /* STAMP: b[5] holds the validity */
} piece_t;

typedef struct {
    char *out;                 /* NULL: only count */
    Py_ssize_t cap, at;
    const char *err;
} sink_t;

/* Loads that hold at any alignment (a buffer may be a slice of another). */
static inline int64_t
load64(const void *base, Py_ssize_t k)
{
    int64_t v;
    memcpy(&v, (const char *)base + k * 8, 8);
    return v;
}

static inline int32_t
load32(const void *base, Py_ssize_t k)
{
    int32_t v;
    memcpy(&v, (const char *)base + k * 4, 4);
    return v;
}

/* Room for len more bytes counted, nothing written (the counting pass). */
static inline int
count(sink_t *s, Py_ssize_t len)
{
    if (len < 0 || s->at > PY_SSIZE_T_MAX - len) {
        s->err = "join(): the lines are too long";
        return -1;
    }
    s->at += len;
    return 0;
}

static inline int
put(sink_t *s, const void *data, Py_ssize_t len)
{
    if (len < 0 || s->at > PY_SSIZE_T_MAX - len) {
        s->err = "join(): the lines are too long";
        return -1;
    }
    if (s->out != NULL) {
        if (s->at + len > s->cap) {
            s->err = "join(): a buffer changed while it was read";
            return -1;
        }
        memcpy(s->out + s->at, data, (size_t)len);
    }
    s->at += len;
    return 0;
}

static int
put_u64(sink_t *s, unsigned long long v)
{
    char tmp[24];
    int d = 24;
    do {
        tmp[--d] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return put(s, tmp + d, 24 - d);
}

/* Where value i of an Arrow string array (offsets b[ob], data b[db]) lies: [*a, *b) of b[db],
 * checked. */
static int
array_span(sink_t *s, const piece_t *p, int ob, int db, Py_ssize_t i, int32_t *a, int32_t *b)
{
    *a = load32(p->b[ob].buf, p->offset + i);
    *b = load32(p->b[ob].buf, p->offset + i + 1);
    if (*a < 0 || *b < *a || (Py_ssize_t)*b > p->b[db].len) {
        s->err = "join(): an array's offsets fall outside its data";
        return -1;
    }
    return 0;
}

/* Value i of an Arrow string array (offsets b[ob], data b[db]). */
static int
array_value(sink_t *s, const piece_t *p, int ob, int db, Py_ssize_t i, int quoted)
{
    int32_t a, b;
    if (array_span(s, p, ob, db, i, &a, &b) < 0) {
        return -1;
    }
    if (quoted && put(s, "\"", 1) < 0) {
        return -1;
    }
    if (put(s, (const char *)p->b[db].buf + a, b - a) < 0) {
        return -1;
    }
    return quoted ? put(s, "\"", 1) : 0;
}

/* Where text k of a table (ends b[eb], texts b[tb]) lies: [*a, *b) of b[tb], checked. */
static int
table_span(sink_t *s, const piece_t *p, int eb, int tb, int64_t k, int64_t *a, int64_t *b)
{
    Py_ssize_t m = p->b[eb].len / (Py_ssize_t)sizeof(int64_t) - 1;
    if (k < 0 || k >= m) {
        s->err = "join(): an index falls outside its texts";
        return -1;
    }
    *a = load64(p->b[eb].buf, (Py_ssize_t)k);
    *b = load64(p->b[eb].buf, (Py_ssize_t)k + 1);
    if (*a < 0 || *b < *a || *b > (int64_t)p->b[tb].len) {
        s->err = "join(): a text's ends fall outside its texts";
        return -1;
    }
    return 0;
}

/* Text k of a table (ends b[eb], texts b[tb]). */
static int
table_text(sink_t *s, const piece_t *p, int eb, int tb, int64_t k)
{
    int64_t a, b;
    if (table_span(s, p, eb, tb, k, &a, &b) < 0) {
        return -1;
    }
    return put(s, (const char *)p->b[tb].buf + a, (Py_ssize_t)(b - a));
}

#define US 1000000LL
#define MOST_US (4000000LL * 86400LL * US) /* beyond any year 1..9999, far from overflow */

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Time i of a STAMP piece as wall-clock microseconds at its UTC offset, checked. */
static int
stamp_local(sink_t *s, const piece_t *p, Py_ssize_t i, int64_t *local)
{
    int64_t us = load64(p->b[0].buf, i);
    int64_t off = load64(p->b[1].buf, i);
    if (off <= -86400 || off >= 86400 || us < -MOST_US || us > MOST_US) {
        s->err = "join(): a time or UTC offset out of range";
        return -1;
    }
    *local = us + off * US;
    return 0;
}

static int
stamp(sink_t *s, const piece_t *p, Py_ssize_t i)
{
    if (p->has_valid && ((const uint8_t *)p->b[5].buf)[i] == 0) {
        return put(s, "null", 4);
    }
    int64_t local;
    if (stamp_local(s, p, i, &local) < 0) {
        return -1;
    }
    int64_t secs = floor_div(local, US), frac = local - secs * US;
    int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
    /* days since 1970-01-01 to the civil date (H. Hinnant's algorithm) */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    if (year < 1 || year > 9999) {
        s->err = "join(): a time falls outside the years 1 to 9999";
        return -1;
    }
    char t[28];
    int64_t hh = sod / 3600, mm = sod / 60 % 60, ss = sod % 60;
    t[0] = '"';
    t[1] = (char)('0' + year / 1000);
    t[2] = (char)('0' + year / 100 % 10);
    t[3] = (char)('0' + year / 10 % 10);
    t[4] = (char)('0' + year % 10);
    t[5] = '-';
    t[6] = (char)('0' + month / 10);
    t[7] = (char)('0' + month % 10);
    t[8] = '-';
    t[9] = (char)('0' + day / 10);
    t[10] = (char)('0' + day % 10);
    t[11] = 'T';
    t[12] = (char)('0' + hh / 10);
    t[13] = (char)('0' + hh % 10);
    t[14] = ':';
    t[15] = (char)('0' + mm / 10);
    t[16] = (char)('0' + mm % 10);
    t[17] = ':';
    t[18] = (char)('0' + ss / 10);
    t[19] = (char)('0' + ss % 10);
    int len = 20;
    if (frac) {
        t[len++] = '.';
        for (int64_t div = 100000; div; div /= 10) {
            t[len++] = (char)('0' + frac / div % 10);
        }
    }
    if (put(s, t, len) < 0) {
        return -1;
    }
    if (table_text(s, p, 2, 3, load64(p->b[4].buf, i)) < 0) {
        return -1;
    }
    return put(s, "\"", 1);
}

static int
digits_u64(unsigned long long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* The length of the text table_text writes (checked as it does, nothing written). */
static int
table_len(sink_t *s, const piece_t *p, int eb, int tb, int64_t k)
{
    int64_t a, b;
    if (table_span(s, p, eb, tb, k, &a, &b) < 0) {
        return -1;
    }
    return count(s, (Py_ssize_t)(b - a));
}

/* Counting: what emit would write for value i, without formatting it (the write pass checks
 * every value again as it writes, and that the counted room is exactly filled). */
static int
measure(sink_t *s, const piece_t *p, Py_ssize_t i, long long seq)
{
    switch (p->kind) {
    case CONST:
        return count(s, p->b[0].len);
    case SEQ:
        return count(s, digits_u64((unsigned long long)seq));
    case ARRAY:
    case QUOTED: {
        int32_t a, b;
        if (array_span(s, p, 0, 1, i, &a, &b) < 0) {
            return -1;
        }
        return count(s, (Py_ssize_t)(b - a) + (p->kind == QUOTED ? 2 : 0));
    }
    case TAKEN:
        return table_len(s, p, 0, 1, load64(p->b[2].buf, i));
    case NUMBER: {
        uint64_t v = (uint64_t)load64(p->b[0].buf, i);
        if (v == 0) {
            int32_t a, b;
            if (array_span(s, p, 1, 2, i, &a, &b) < 0) {
                return -1;
            }
            return count(s, (Py_ssize_t)(b - a) + (p->fallback_quoted ? 2 : 0));
        }
        return count(s, 4 + digits_u64(v));
    }
    case STAMP: {
        if (p->has_valid && ((const uint8_t *)p->b[5].buf)[i] == 0) {
            return count(s, 4);
        }
        int64_t local;
        if (stamp_local(s, p, i, &local) < 0) {
            return -1;
        }
        int has_frac = local % US != 0;
        if (count(s, 21 + (has_frac ? 7 : 0)) < 0) { /* "YYYY-MM-DDTHH:MM:SS[.ffffff] and " */
            return -1;
        }
        return table_len(s, p, 2, 3, load64(p->b[4].buf, i));
    }
    case DECIMAL:
        return count(s, digits_u64((unsigned long long)(uint64_t)load64(p->b[0].buf, i)));
    case WHOLE:
        return 0; /* a line of the others (lines() writes the whole ones) */
    }
    s->err = "join(): an unknown piece";
    return -1;
}

static int
emit(sink_t *s, const piece_t *p, Py_ssize_t i, long long seq)
{
    switch (p->kind) {
    case CONST:
        return put(s, p->b[0].buf, p->b[0].len);
    case SEQ:
        return put_u64(s, (unsigned long long)seq);
    case ARRAY:
        return array_value(s, p, 0, 1, i, 0);
    case QUOTED:
        return array_value(s, p, 0, 1, i, 1);
    case TAKEN:
        return table_text(s, p, 0, 1, load64(p->b[2].buf, i));
    case NUMBER: {
        uint64_t v = (uint64_t)load64(p->b[0].buf, i);
        if (v == 0) {
            return array_value(s, p, 1, 2, i, p->fallback_quoted);
        }
        if (put(s, "\"+1", 3) < 0 || put_u64(s, v) < 0) {
            return -1;
        }
        return put(s, "\"", 1);
    }
    case STAMP:
        return stamp(s, p, i);
    case DECIMAL:
        return put_u64(s, (unsigned long long)(uint64_t)load64(p->b[0].buf, i));
    case WHOLE:
        return 0;
    }
    s->err = "join(): an unknown piece";
    return -1;
}

static int
hold(piece_t *p, PyObject *obj, Py_ssize_t need, const char *what)
{
    /* Take obj's buffer as p->b[p->held]; need >= 0: it must hold exactly need bytes. */
    if (PyObject_GetBuffer(obj, &p->b[p->held], PyBUF_SIMPLE) < 0) {
        return -1;
    }
    p->held++;
    if (need >= 0 && p->b[p->held - 1].len != need) {
        PyErr_Format(PyExc_ValueError, "join(): %s: expected %zd bytes, got %zd", what, need,
                     p->b[p->held - 1].len);
        return -1;
    }
    return 0;
}

/* An Arrow array (offsets, data, offset) from t[at..at+3) into b[held], b[held+1]. */
static int
hold_array(piece_t *p, PyObject *t, Py_ssize_t at, Py_ssize_t n)
{
    p->offset = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, at + 2));
    if (p->offset < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "join(): a negative array offset");
        }
        return -1;
    }
    if (hold(p, PyTuple_GET_ITEM(t, at), -1, "offsets") < 0 ||
        hold(p, PyTuple_GET_ITEM(t, at + 1), -1, "data") < 0) {
        return -1;
    }
    if (p->offset > PY_SSIZE_T_MAX / 8 - n - 1 ||
        (p->offset + n + 1) * (Py_ssize_t)sizeof(int32_t) > p->b[p->held - 2].len) {
        PyErr_SetString(PyExc_ValueError, "join(): an array's offsets are shorter than n values");
        return -1;
    }
    return 0;
}

static int
hold_table(piece_t *p, PyObject *ends, PyObject *texts)
{
    if (hold(p, ends, -1, "text ends") < 0 || hold(p, texts, -1, "texts") < 0) {
        return -1;
    }
    Py_ssize_t len = p->b[p->held - 2].len;
    if (len < (Py_ssize_t)sizeof(int64_t) || len % (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "join(): text ends must be int64 values, at least one");
        return -1;
    }
    return 0;
}

static int
take_piece(piece_t *p, PyObject *item, Py_ssize_t n)
{
    if (item == Py_None) {
        p->kind = SEQ;
        return 0;
    }
    if (PyBytes_Check(item)) {
        p->kind = CONST;
        return hold(p, item, -1, "text");
    }
    if (!PyTuple_Check(item)) {
        goto bad;
    }
    Py_ssize_t size = PyTuple_GET_SIZE(item);
    if (size == 3 && !PyLong_Check(PyTuple_GET_ITEM(item, 0))) {
        p->kind = ARRAY;
        return hold_array(p, item, 0, n);
    }
    if (size < 2 || !PyLong_Check(PyTuple_GET_ITEM(item, 0))) {
        goto bad;
    }
    long tag = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    Py_ssize_t n8 = n * 8;
    if (tag == 1 && size == 4) {
        p->kind = QUOTED;
        return hold_array(p, item, 1, n);
    }
    if (tag == 2 && size == 4) {
        p->kind = TAKEN;
        if (hold_table(p, PyTuple_GET_ITEM(item, 1), PyTuple_GET_ITEM(item, 2)) < 0) {
            return -1;
        }
        return hold(p, PyTuple_GET_ITEM(item, 3), n8, "index");
    }
    if (tag == 3 && size == 3) {
        p->kind = NUMBER;
        if (hold(p, PyTuple_GET_ITEM(item, 1), n8, "numbers") < 0) {
            return -1;
        }
        PyObject *fb = PyTuple_GET_ITEM(item, 2);
        if (PyTuple_Check(fb) && PyTuple_GET_SIZE(fb) == 3 && !PyLong_Check(PyTuple_GET_ITEM(fb, 0))) {
            p->fallback_quoted = 0;
            return hold_array(p, fb, 0, n);
        }
        if (PyTuple_Check(fb) && PyTuple_GET_SIZE(fb) == 4 && PyLong_Check(PyTuple_GET_ITEM(fb, 0)) &&
            PyLong_AsLong(PyTuple_GET_ITEM(fb, 0)) == 1) {
            p->fallback_quoted = 1;
            return hold_array(p, fb, 1, n);
        }
        goto bad;
    }
    if (tag == 4 && size == 7) {
        p->kind = STAMP;
        if (hold(p, PyTuple_GET_ITEM(item, 1), n8, "micros") < 0 ||
            hold(p, PyTuple_GET_ITEM(item, 2), n8, "offsets") < 0 ||
            hold_table(p, PyTuple_GET_ITEM(item, 3), PyTuple_GET_ITEM(item, 4)) < 0 ||
            hold(p, PyTuple_GET_ITEM(item, 5), n8, "index") < 0) {
            return -1;
        }
        if (PyTuple_GET_ITEM(item, 6) != Py_None) {
            if (hold(p, PyTuple_GET_ITEM(item, 6), n, "valid") < 0) {
                return -1;
            }
            p->has_valid = 1;
        }
        return 0;
    }
    if (tag == 5 && size == 2) {
        p->kind = DECIMAL;
        return hold(p, PyTuple_GET_ITEM(item, 1), n8, "values");
    }
    if (tag == 6 && size == 4) {
        p->kind = WHOLE;
        if (hold_table(p, PyTuple_GET_ITEM(item, 1), PyTuple_GET_ITEM(item, 2)) < 0) {
            return -1;
        }
        return hold(p, PyTuple_GET_ITEM(item, 3), n8, "index");
    }
    if (PyErr_Occurred()) {
        return -1;
    }
bad:
    PyErr_SetString(PyExc_TypeError, "join(): a piece must be bytes, None or a tuple of a kind join takes");
    return -1;
}

/* Stores that hold at any alignment (a buffer the caller allocated). */
static inline void
store64(char *base, Py_ssize_t k, int64_t v)
{
    memcpy(base + k * 8, &v, 8);
}

static int
lines(sink_t *s, const piece_t *pieces, Py_ssize_t count, Py_ssize_t n, long long first_seq,
      const piece_t *whole, char *ends)
{
    if (ends != NULL) {
        store64(ends, 0, 0);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t w = whole == NULL ? -1 : load64(whole->b[2].buf, i);
        if (w < -1) {
            s->err = "join(): an index falls outside its texts";
            return -1;
        }
        if (w >= 0) {
            if ((s->out == NULL ? table_len(s, whole, 0, 1, w) : table_text(s, whole, 0, 1, w)) < 0) {
                return -1;
            }
        }
        for (Py_ssize_t k = 0; w < 0 && k < count; k++) {
            if ((s->out == NULL ? measure(s, &pieces[k], i, first_seq + i)
                                : emit(s, &pieces[k], i, first_seq + i)) < 0) {
                return -1;
            }
        }
        if (put(s, "\n", 1) < 0) {
            return -1;
        }
        if (ends != NULL) {
            store64(ends, i + 1, (int64_t)s->at);
        }
    }
    return 0;
}

PyDoc_STRVAR(join_doc,
"join(pieces, n, first_seq, allocate=None, /)\n--\n\n"
"n lines joined from pieces (bytes; None for the line's seq; (offsets, data, offset) of an\n"
"Arrow string array; (1, offsets, data, offset) the same quoted; (2, text_ends, texts, index)\n"
"taken; (3, numbers, array) E.164 numbers; (4, micros, offsets, text_ends, texts, index, valid)\n"
"times; (5, values) uint64 in decimal; (6, text_ends, texts, index) whole lines where index >= 0),\n"
"each ended by a line feed: (payload, ends as int64 bytes, n + 1 of them). allocate(size): where\n"
"given, called for the payload's and the ends' buffers (new, writable, at least size bytes), which\n"
"are returned in place of bytes.");

static PyObject *
join(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *seq_list, *payload = NULL, *ends = NULL, *result = NULL;
    PyObject *allocate = nargs == 4 ? args[3] : Py_None;
    Py_buffer out_buf = {0}, ends_buf = {0};
    int out_held = 0, ends_held = 0;
    piece_t *pieces = NULL;
    Py_ssize_t count = 0, got = 0, n, k;
    long long first_seq;
    int failed;
    if (nargs != 3 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "join() takes pieces, n, first_seq and allocate");
        return NULL;
    }
    n = PyLong_AsSsize_t(args[1]);
    first_seq = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0 || first_seq < 0 || n > PY_SSIZE_T_MAX / 16 || first_seq > LLONG_MAX - n) {
        PyErr_SetString(PyExc_ValueError, "join(): n and first_seq must not be negative");
        return NULL;
    }
    seq_list = PySequence_Fast(args[0], "join(): pieces must be a sequence");
    if (seq_list == NULL) {
        return NULL;
    }
    count = PySequence_Fast_GET_SIZE(seq_list);
    pieces = PyMem_Calloc(count ? (size_t)count : 1, sizeof(piece_t));
    if (pieces == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (got = 0; got < count;) {
        got++; /* release what it holds even when taking it fails */
        if (take_piece(&pieces[got - 1], PySequence_Fast_GET_ITEM(seq_list, got - 1), n) < 0) {
            goto done;
        }
    }
    const piece_t *whole = NULL;
    for (k = 0; k < count; k++) {
        if (pieces[k].kind == WHOLE) {
            if (whole != NULL) {
                PyErr_SetString(PyExc_ValueError, "join(): at most one piece of whole lines");
                goto done;
            }
            whole = &pieces[k];
        }
    }
    sink_t s = {NULL, 0, 0, NULL};
    Py_BEGIN_ALLOW_THREADS
    failed = lines(&s, pieces, count, n, first_seq, whole, NULL);
    Py_END_ALLOW_THREADS
    if (failed < 0) {
        PyErr_SetString(PyExc_ValueError, s.err);
        goto done;
    }
    Py_ssize_t ends_size = (n + 1) * (Py_ssize_t)sizeof(int64_t);
    char *out_at, *ends_at;
    if (allocate == Py_None) {
        payload = PyBytes_FromStringAndSize(NULL, s.at);
        ends = PyBytes_FromStringAndSize(NULL, ends_size);
        if (payload == NULL || ends == NULL) {
            goto done;
        }
        out_at = PyBytes_AS_STRING(payload);
        ends_at = PyBytes_AS_STRING(ends);
    } else {
        /* Buffers of the caller's (a memory pool that keeps its pages, say), new and writable,
         * each at least as long as asked. */
        payload = PyObject_CallFunction(allocate, "n", s.at);
        if (payload == NULL || PyObject_GetBuffer(payload, &out_buf, PyBUF_WRITABLE) < 0) {
            goto done;
        }
        out_held = 1;
        ends = PyObject_CallFunction(allocate, "n", ends_size);
        if (ends == NULL || PyObject_GetBuffer(ends, &ends_buf, PyBUF_WRITABLE) < 0) {
            goto done;
        }
        ends_held = 1;
        if (out_buf.len < s.at || ends_buf.len < ends_size) {
            PyErr_SetString(PyExc_ValueError, "join(): allocate gave a buffer shorter than asked");
            goto done;
        }
        out_at = out_buf.buf;
        ends_at = ends_buf.buf;
    }
    {
        char *end = ends_at;
        sink_t w = {out_at, s.at, 0, NULL};
        Py_BEGIN_ALLOW_THREADS
        failed = lines(&w, pieces, count, n, first_seq, whole, end);
        if (failed == 0 && w.at != w.cap) {
            w.err = "join(): a buffer changed while it was read";
            failed = -1;
        }
        Py_END_ALLOW_THREADS
        if (failed < 0) {
            PyErr_SetString(PyExc_ValueError, w.err);
            goto done;
        }
    }
    result = PyTuple_Pack(2, payload, ends);
done:
    if (out_held) {
        PyBuffer_Release(&out_buf);
    }
    if (ends_held) {
        PyBuffer_Release(&ends_buf);
    }
    for (k = 0; k < got && pieces != NULL; k++) {
        for (int b = 0; b < pieces[k].held; b++) {
            PyBuffer_Release(&pieces[k].b[b]);
        }
    }
    PyMem_Free(pieces);
    Py_XDECREF(payload);
    Py_XDECREF(ends);
    Py_DECREF(seq_list);
    return result;
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
two_digits(const unsigned char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar (month 1-12). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* One row of iso_times: 1 and its offset (seconds), whether it is written Z and its UTC
 * microseconds; 0 when it is not of the usual shape or its day does not exist (February 30th). */
static int
iso_row(const unsigned char *p, Py_ssize_t len, int64_t *seconds, unsigned char *zulu, int64_t *micros)
{
    static const int digits[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    int k, month, day, hour, minute, second, off_hour, off_minute;
    if (len != 20 && len != 25) {
        return 0;
    }
    for (k = 0; k < 14; k++) {
        if (!is_digit(p[digits[k]])) {
            return 0;
        }
    }
    if (p[0] == '0' || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':') {
        return 0;
    }
    month = two_digits(p + 5);
    day = two_digits(p + 8);
    hour = two_digits(p + 11);
    minute = two_digits(p + 14);
    second = two_digits(p + 17);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
        return 0;
    }
    int year = two_digits(p) * 100 + two_digits(p + 2);
    if (day > days_in_month(year, month)) {
        return 0;
    }
    int64_t wall = ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second;
    if (len == 20) {
        *seconds = 0;
        *zulu = 1;
        *micros = wall * 1000000;
        return p[19] == 'Z';
    }
    if ((p[19] != '+' && p[19] != '-') || !is_digit(p[20]) || !is_digit(p[21]) || p[22] != ':'
        || !is_digit(p[23]) || !is_digit(p[24])) {
        return 0;
    }
    off_hour = two_digits(p + 20);
    off_minute = two_digits(p + 23);
    if (off_hour > 23 || off_minute > 59) {
        return 0;
    }
    *seconds = (p[19] == '-' ? -1 : 1) * (int64_t)(off_hour * 3600 + off_minute * 60);
    *zulu = 0;
    *micros = (wall - *seconds) * 1000000;
    return 1;
}

PyDoc_STRVAR(iso_times_doc,
"iso_times(offsets, data, /)\n--\n\n"
"The usual ISO 8601 times of a string column: ``offsets`` its n + 1 int32 value offsets,\n"
"``data`` its values' bytes from ``offsets[0]`` on. Every row ``YYYY-MM-DDTHH:MM:SS`` then\n"
"``Z`` or ``+HH:MM`` / ``-HH:MM`` (month 1-12, day 1-31, hour 0-23, minute and second 0-59,\n"
"a year not starting with 0, a day its month has; offset hours 0-23, minutes 0-59): returns\n"
"(each row's UTC offset in seconds, n int64; 1 for each row written Z, else 0, n bytes; each\n"
"row's time as UTC microseconds since 1970, n int64). None when a row is of any other shape.");

static PyObject *
iso_times(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer offsets, data;
    PyObject *seconds = NULL, *zulu = NULL, *micros = NULL, *result = NULL;
    Py_ssize_t n, i;
    int ok = 1;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "iso_times() takes offsets and data");
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &offsets, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &data, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&offsets);
        return NULL;
    }
    if (offsets.len % sizeof(int32_t) || offsets.len < (Py_ssize_t)sizeof(int32_t)) {
        PyErr_SetString(PyExc_ValueError, "iso_times(): offsets must be n + 1 int32 values");
        goto done;
    }
    n = offsets.len / (Py_ssize_t)sizeof(int32_t) - 1;
    seconds = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    zulu = PyBytes_FromStringAndSize(NULL, n);
    micros = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (seconds == NULL || zulu == NULL || micros == NULL) {
        goto done;
    }
    {
        const int32_t *off = (const int32_t *)offsets.buf;
        const unsigned char *bytes = (const unsigned char *)data.buf;
        int64_t *sec = (int64_t *)PyBytes_AS_STRING(seconds);
        unsigned char *z = (unsigned char *)PyBytes_AS_STRING(zulu);
        int64_t *us = (int64_t *)PyBytes_AS_STRING(micros);
        int32_t base = off[0];
        for (i = 0; i < n; i++) {
            if (off[i + 1] < off[i] || off[i] < base || (Py_ssize_t)(off[i + 1] - base) > data.len) {
                PyErr_SetString(PyExc_ValueError, "iso_times(): offsets outside the data");
                goto done;
            }
        }
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < n && ok; i++) {
            ok = iso_row(bytes + (off[i] - base), (Py_ssize_t)(off[i + 1] - off[i]), sec + i, z + i,
                         us + i);
        }
        Py_END_ALLOW_THREADS
    }
    if (!ok) {
        Py_INCREF(Py_None);
        result = Py_None;
        goto done;
    }
    result = PyTuple_Pack(3, seconds, zulu, micros);
done:
    Py_XDECREF(seconds);
    Py_XDECREF(zulu);
    Py_XDECREF(micros);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return result;
}


/* placed_match(lines, first, rows, at): whether the rows of the index of placed calls of a page
 * are its placed entries', one for one, in order (verify's common case, without a Python object
 * made per row). Line i (bytes, entry seq first + i) is placed when its byte ``at`` is '['; its
 * bytes from ``at`` on must then start with the next row (seq, number, seller, purpose, at_us)
 * written as the entry writes it: [at_us,number,"purpose","seller"],seq, (number null for None;
 * the texts as json.dumps writes them). Only rows of exact ints, None and ASCII str are written
 * here; any other row, a text that does not fit, or a row left over is False: the caller then
 * compares the page exactly (False never means "changed" on its own). */

#define ROW_TEXT 1024

static char *
put_int(char *p, const char *end, PyObject *v)
{
    /* v (an exact int) in decimal; NULL when it is no int, does not fit 64 bits or the room. */
    char tmp[24];
    int k = 0, overflow = 0;
    long long x;
    unsigned long long u;
    if (!PyLong_CheckExact(v)) {
        return NULL;
    }
    x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return NULL;
    }
    if (end - p < 21) {
        return NULL;
    }
    if (x < 0) {
        *p++ = '-';
        u = (unsigned long long)(-(x + 1)) + 1u;
    }
    else {
        u = (unsigned long long)x;
    }
    do {
        tmp[k++] = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u);
    while (k) {
        *p++ = tmp[--k];
    }
    return p;
}

static char *
put_json(char *p, const char *end, PyObject *s)
{
    /* s (an exact ASCII str) as json.dumps writes it (ensure_ascii): NULL for anything else. */
    static const char hex[] = "0123456789abcdef";
    const unsigned char *c;
    Py_ssize_t n, i;
    if (!PyUnicode_CheckExact(s) || !PyUnicode_IS_ASCII(s)) {
        return NULL;
    }
    c = PyUnicode_1BYTE_DATA(s);
    n = PyUnicode_GET_LENGTH(s);
    if (end - p < 2) {
        return NULL;
    }
    *p++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char ch = c[i];
        if (end - p < 7) {
            return NULL;
        }
        if (ch >= ' ' && ch <= '~' && ch != '"' && ch != '\\') {
            *p++ = (char)ch;
            continue;
        }
        *p++ = '\\';
        switch (ch) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    if (end - p < 1) {
        return NULL;
    }
    *p++ = '"';
    return p;
}

PyDoc_STRVAR(placed_match_doc,
"placed_match(lines, first, rows, at, /)\n--\n\n"
"Whether ``rows`` (tuples seq, number, seller, purpose, at_us) are the placed entries of\n"
"``lines`` (bytes; line i is entry first + i, placed when its byte ``at`` is '['), one for one:\n"
"each placed line's bytes from ``at`` start with its row written\n"
"``[at_us,number,\"purpose\",\"seller\"],seq,`` as the entry writes it. False also where a row\n"
"is not of exact ints, None and ASCII str, or too long to write here: compare exactly then.");

static PyObject *
placed_match(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *lines, *rows;
    Py_ssize_t first, at, n, nrows, i, k = 0;
    char buf[ROW_TEXT];
    const char *end = buf + sizeof(buf);
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "placed_match() takes lines, first, rows and at");
        return NULL;
    }
    lines = args[0];
    rows = args[2];
    if (!PyList_CheckExact(lines) || !PyList_CheckExact(rows)) {
        PyErr_SetString(PyExc_TypeError, "placed_match(): lines and rows must be lists");
        return NULL;
    }
    first = PyLong_AsSsize_t(args[1]);
    if (first == -1 && PyErr_Occurred()) {
        return NULL;
    }
    at = PyLong_AsSsize_t(args[3]);
    if (at == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (at < 0) {
        PyErr_SetString(PyExc_ValueError, "placed_match(): at must not be negative");
        return NULL;
    }
    n = PyList_GET_SIZE(lines);
    nrows = PyList_GET_SIZE(rows);
    for (i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i), *row, **f;
        const char *text;
        char *p = buf;
        Py_ssize_t size;
        long long seq;
        int overflow = 0;
        if (!PyBytes_CheckExact(line)) {
            Py_RETURN_FALSE;
        }
        size = PyBytes_GET_SIZE(line);
        text = PyBytes_AS_STRING(line);
        if (size <= at || text[at] != '[') {
            continue;
        }
        if (k >= nrows) {
            Py_RETURN_FALSE;
        }
        row = PyList_GET_ITEM(rows, k++);
        if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != 5) {
            Py_RETURN_FALSE;
        }
        f = &PyTuple_GET_ITEM(row, 0);
        if (!PyLong_CheckExact(f[0])) {
            Py_RETURN_FALSE;
        }
        seq = PyLong_AsLongLongAndOverflow(f[0], &overflow);
        if (overflow || (seq == -1 && PyErr_Occurred()) || seq != (long long)first + (long long)i) {
            PyErr_Clear();
            Py_RETURN_FALSE;
        }
        *p++ = '[';
        if ((p = put_int(p, end, f[4])) == NULL || end - p < 1) {
            Py_RETURN_FALSE;
        }
        *p++ = ',';
        if (f[1] == Py_None) {
            if (end - p < 4) {
                Py_RETURN_FALSE;
            }
            memcpy(p, "null", 4);
            p += 4;
        }
        else if ((p = put_int(p, end, f[1])) == NULL) {
            Py_RETURN_FALSE;
        }
        if (end - p < 1) {
            Py_RETURN_FALSE;
        }
        *p++ = ',';
        if ((p = put_json(p, end, f[3])) == NULL || end - p < 1) {
            Py_RETURN_FALSE;
        }
        *p++ = ',';
        if ((p = put_json(p, end, f[2])) == NULL || end - p < 2) {
            Py_RETURN_FALSE;
        }
        *p++ = ']';
        *p++ = ',';
        if ((p = put_int(p, end, f[0])) == NULL || end - p < 1) {
            Py_RETURN_FALSE;
        }
        *p++ = ',';
        if (size - at < p - buf || memcmp(text + at, buf, (size_t)(p - buf)) != 0) {
            Py_RETURN_FALSE;
        }
    }
    if (k != nrows) {
        Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"chain", (PyCFunction)(void (*)(void))chain, METH_FASTCALL, chain_doc},
    {"join", (PyCFunction)(void (*)(void))join, METH_FASTCALL, join_doc},
    {"iso_times", (PyCFunction)(void (*)(void))iso_times, METH_FASTCALL, iso_times_doc},
    {"placed_match", (PyCFunction)(void (*)(void))placed_match, METH_FASTCALL, placed_match_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "dncguard._ledger._chainc",
    .m_doc = "The ledger's SHA-256 chain over a buffer of entries, in C (optional; see _chain.py).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__chainc(void)
{
    return PyModuleDef_Init(&module);
}
