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
 * a line feed. A piece is bytes (the same in every line), None (the line's seq: first_seq + i in
 * decimal), or (offsets, data, offset): an Arrow string array of n values without nulls (its
 * int32 value offsets buffer, its data buffer, and the array's offset into them). Returns
 * (payload, ends): the lines, and the int64 end of each line in payload after a leading 0. */
enum { CONST, SEQ, ARRAY };

typedef struct {
    int kind;
    Py_buffer a, b; /* CONST: a; ARRAY: a the offsets, b the data */
    Py_ssize_t offset;
} piece_t;

static int
digits(long long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

PyDoc_STRVAR(join_doc,
"join(pieces, n, first_seq, /)\n--\n\n"
"n lines joined from pieces (bytes; None for the line's seq; (offsets, data, offset) of an\n"
"Arrow string array), each ended by a line feed: (payload, ends as int64 bytes, n + 1 of them).");

static PyObject *
join(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *seq_list, *payload = NULL, *ends = NULL, *result = NULL;
    piece_t *pieces = NULL;
    Py_ssize_t count = 0, got = 0, n, i, k;
    long long first_seq;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "join() takes pieces, n and first_seq");
        return NULL;
    }
    n = PyLong_AsSsize_t(args[1]);
    first_seq = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0 || first_seq < 0) {
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
    Py_ssize_t per_line = 1; /* the line feed */
    Py_ssize_t total = 0;
    for (got = 0; got < count; got++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq_list, got);
        piece_t *p = &pieces[got];
        if (item == Py_None) {
            p->kind = SEQ;
        }
        else if (PyBytes_Check(item)) {
            p->kind = CONST;
            if (PyObject_GetBuffer(item, &p->a, PyBUF_SIMPLE) < 0) {
                goto done;
            }
            per_line += p->a.len;
        }
        else if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 3) {
            p->kind = ARRAY;
            p->offset = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 2));
            if (p->offset < 0) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_ValueError, "join(): a negative array offset");
                }
                p->kind = SEQ; /* nothing held yet */
                goto done;
            }
            if (PyObject_GetBuffer(PyTuple_GET_ITEM(item, 0), &p->a, PyBUF_SIMPLE) < 0) {
                p->kind = SEQ;
                goto done;
            }
            if (PyObject_GetBuffer(PyTuple_GET_ITEM(item, 1), &p->b, PyBUF_SIMPLE) < 0) {
                PyBuffer_Release(&p->a);
                p->kind = SEQ;
                goto done;
            }
            if ((p->offset + n + 1) * (Py_ssize_t)sizeof(int32_t) > p->a.len) {
                PyErr_SetString(PyExc_ValueError, "join(): an array's offsets are shorter than n values");
                got++;
                goto done;
            }
            const int32_t *off = (const int32_t *)p->a.buf + p->offset;
            if (off[0] < 0 || off[n] < off[0] || off[n] > p->b.len) {
                PyErr_SetString(PyExc_ValueError, "join(): an array's offsets fall outside its data");
                got++;
                goto done;
            }
            for (i = 0; i < n; i++) {
                if (off[i + 1] < off[i]) {
                    PyErr_SetString(PyExc_ValueError, "join(): an array's offsets go backwards");
                    got++;
                    goto done;
                }
            }
            total += off[n] - off[0];
        }
        else {
            PyErr_SetString(PyExc_TypeError, "join(): a piece must be bytes, None or (offsets, data, offset)");
            goto done;
        }
    }
    total += per_line * n;
    for (k = 0; k < count; k++) {
        if (pieces[k].kind == SEQ) {
            for (i = 0; i < n; i++) {
                total += digits(first_seq + i);
            }
        }
    }
    payload = PyBytes_FromStringAndSize(NULL, total);
    ends = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)sizeof(int64_t));
    if (payload == NULL || ends == NULL) {
        goto done;
    }
    {
        char *out = PyBytes_AS_STRING(payload);
        int64_t *end = (int64_t *)PyBytes_AS_STRING(ends);
        Py_ssize_t at = 0;
        Py_BEGIN_ALLOW_THREADS
        end[0] = 0;
        for (i = 0; i < n; i++) {
            for (k = 0; k < count; k++) {
                piece_t *p = &pieces[k];
                if (p->kind == CONST) {
                    memcpy(out + at, p->a.buf, (size_t)p->a.len);
                    at += p->a.len;
                }
                else if (p->kind == SEQ) {
                    char tmp[24];
                    long long v = first_seq + i;
                    int d = 0;
                    do {
                        tmp[d++] = (char)('0' + v % 10);
                        v /= 10;
                    } while (v);
                    while (d) {
                        out[at++] = tmp[--d];
                    }
                }
                else {
                    const int32_t *off = (const int32_t *)p->a.buf + p->offset;
                    Py_ssize_t len = off[i + 1] - off[i];
                    memcpy(out + at, (const char *)p->b.buf + off[i], (size_t)len);
                    at += len;
                }
            }
            out[at++] = '\n';
            end[i + 1] = at;
        }
        Py_END_ALLOW_THREADS
    }
    result = PyTuple_Pack(2, payload, ends);
done:
    for (k = 0; k < got && pieces != NULL; k++) {
        if (pieces[k].kind == CONST) {
            PyBuffer_Release(&pieces[k].a);
        }
        else if (pieces[k].kind == ARRAY) {
            PyBuffer_Release(&pieces[k].a);
            PyBuffer_Release(&pieces[k].b);
        }
    }
    PyMem_Free(pieces);
    Py_XDECREF(payload);
    Py_XDECREF(ends);
    Py_DECREF(seq_list);
    return result;
}

static PyMethodDef methods[] = {
    {"chain", (PyCFunction)(void (*)(void))chain, METH_FASTCALL, chain_doc},
    {"join", (PyCFunction)(void (*)(void))join, METH_FASTCALL, join_doc},
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
