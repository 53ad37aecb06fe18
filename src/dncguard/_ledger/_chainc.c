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

#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define DIGEST 32

static void
chain_lines(const unsigned char *previous, const unsigned char *data, Py_ssize_t size,
            unsigned char *out)
{
    const unsigned char *p = data, *end = data + size, *prev = previous;
    SHA256_CTX ctx;
    while (p < end) {
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
        chain_lines(previous.buf, payload.buf, payload.len, digests);
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&payload);
    PyBuffer_Release(&previous);
    return out;
}

static PyMethodDef methods[] = {
    {"chain", (PyCFunction)(void (*)(void))chain, METH_FASTCALL, chain_doc},
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
