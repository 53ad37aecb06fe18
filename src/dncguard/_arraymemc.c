/*
 * dncguard._arraymemc: an allocator for numpy's array data that keeps large freed blocks for
 * reuse, in memory maps of their own, outside the C library's heap (see dncguard/_arraymem.py
 * for why and when it is used).
 *
 * Blocks of at least BIG bytes (header included) are memory maps whose length is a multiple of
 * GRAN. A freed one is kept, in a list by length, for a later request, which takes the shortest
 * kept block at least as long as it needs and at most eight times that (its pages are there
 * already: a longer block costs nothing more to use); at most `cap` bytes are kept
 * in all (0 until configured), the oldest kept blocks unmapped to make room for a newer one. Smaller blocks come from malloc. Every block starts with a header
 * of HDR bytes saying which kind it is and how long, so free and realloc never guess.
 *
 * numpy's C API is found at run time (the `_ARRAY_API` capsule, as numpy's own import_array
 * does), so building this needs Python's headers only. The handler structure below is numpy's
 * PyDataMem_Handler of version 1 (numpy >= 1.22, ndarraytypes.h), which numpy keeps stable.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MAP_POPULATE /* Linux's; elsewhere pages are faulted in as they are written */
#define MAP_POPULATE 0
#endif

#define BIG ((size_t)256 * 1024)
#define GRAN ((size_t)64 * 1024)
#define HDR ((size_t)64) /* keeps the data 64-byte aligned in a map, 16-byte after malloc */
#define MAXCLS ((size_t)1024) /* kept blocks: at most 1024 * GRAN = 64 MiB long each */
#define MAGIC_HEAP ((uint64_t)0x64636768656170ULL)
#define MAGIC_MAP ((uint64_t)0x6463676d617070ULL)
#define NPY_1_22_FEATURES 0x10
#define API_FEATURE_VERSION 211
#define API_SET_HANDLER 304

typedef struct {
    uint64_t magic;
    size_t len; /* a map: its length; a heap block: the size asked for */
} head;

/* A kept block: in the list of its length (`next`, `prev`) and in the list of all kept blocks,
 * most recently freed first (`newer`, `older`), from which the oldest is unmapped when a block
 * freed would keep more than `cap` bytes. */
typedef struct kept {
    struct kept *next, *prev, *newer, *older;
    size_t len;
    uint64_t freed; /* CLOCK_MONOTONIC nanoseconds */
} kept;

typedef struct {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
} DataMemAllocator;

typedef struct {
    char name[127];
    uint8_t version;
    DataMemAllocator allocator;
} DataMemHandler;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kept *lists[MAXCLS + 1];
static kept *newest, *oldest;
static size_t kept_bytes;
static size_t cap = 0;
static uint64_t decay = 0; /* nanoseconds a kept block waits for reuse at most */
static size_t n_maps, n_reused, n_unmapped;

/* Under the lock: take `b` out of both lists. */
static void
unlink_kept(kept *b)
{
    size_t c = b->len / GRAN;
    if (b->prev != NULL) {
        b->prev->next = b->next;
    }
    else {
        lists[c] = b->next;
    }
    if (b->next != NULL) {
        b->next->prev = b->prev;
    }
    if (b->newer != NULL) {
        b->newer->older = b->older;
    }
    else {
        newest = b->older;
    }
    if (b->older != NULL) {
        b->older->newer = b->newer;
    }
    else {
        oldest = b->newer;
    }
    kept_bytes -= b->len;
}

/* Under the lock: take the oldest kept block out of both lists onto `*drop` (chained by
 * `next`), to be unmapped by unmap_dropped once the lock is let go. */
static void
drop_oldest(kept **drop)
{
    kept *o = oldest;
    unlink_kept(o);
    o->next = *drop;
    *drop = o;
}

static void
unmap_dropped(kept *drop)
{
    while (drop != NULL) {
        kept *o = drop;
        drop = o->next;
        munmap(o, o->len);
    }
}

/* A map of at least `total` bytes, kept or new; `*fresh`: new (its pages are zero). */
static head *
map_take(size_t total, int *fresh)
{
    size_t len = (total + GRAN - 1) / GRAN * GRAN;
    size_t c = len / GRAN;
    if (c <= MAXCLS) {
        size_t top = c * 8 < MAXCLS ? c * 8 : MAXCLS;
        kept *b = NULL;
        pthread_mutex_lock(&lock);
        for (size_t k = c; k <= top; k++) {
            if (lists[k] != NULL) {
                b = lists[k];
                unlink_kept(b);
                n_reused++;
                break;
            }
        }
        pthread_mutex_unlock(&lock);
        if (b != NULL) {
            head *h = (head *)b;
            size_t had = b->len;
            h->magic = MAGIC_MAP;
            h->len = had;
            *fresh = 0;
            return h;
        }
    }
    /* A block that may be kept is faulted in whole by the kernel at once, cheaper than a fault a
     * page as the array is first written (it is written whole, nearly always); a longer one, as
     * numpy uses it. */
    int populate = c <= MAXCLS ? MAP_POPULATE : 0;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    head *h = (head *)p;
    h->magic = MAGIC_MAP;
    h->len = len;
    *fresh = 1;
    pthread_mutex_lock(&lock);
    n_maps++;
    pthread_mutex_unlock(&lock);
    return h;
}

static uint64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Keep a freed map, or unmap it; the oldest kept ones are unmapped to make room, and those kept
 * longer than `decay` too. */
static void
map_give(head *h)
{
    size_t len = h->len, c = len / GRAN;
    h->magic = 0;
    if (c > MAXCLS || len > cap) {
        munmap(h, len);
        return;
    }
    kept *b = (kept *)h;
    kept *drop = NULL; /* the evicted, chained by `next` */
    uint64_t t = now_ns();
    pthread_mutex_lock(&lock);
    while (oldest != NULL && (kept_bytes + len > cap || oldest->freed + decay < t)) {
        drop_oldest(&drop);
        n_unmapped++;
    }
    if (kept_bytes + len <= cap) {
        b->len = len;
        b->freed = t;
        b->prev = NULL;
        b->next = lists[c];
        if (b->next != NULL) {
            b->next->prev = b;
        }
        lists[c] = b;
        b->newer = NULL;
        b->older = newest;
        if (newest != NULL) {
            newest->newer = b;
        }
        newest = b;
        if (oldest == NULL) {
            oldest = b;
        }
        kept_bytes += len;
        b = NULL;
    }
    pthread_mutex_unlock(&lock);
    unmap_dropped(drop);
    if (b != NULL) {
        munmap(b, len);
    }
}

static void *
big_alloc(size_t n, int zero)
{
    int fresh;
    head *h = map_take(n + HDR, &fresh);
    if (h == NULL) {
        return NULL;
    }
    if (zero && !fresh) {
        memset((char *)h + HDR, 0, n);
    }
    return (char *)h + HDR;
}

static void *
heap_alloc(size_t n, int zero)
{
    head *h = zero ? calloc(1, n + HDR) : malloc(n + HDR);
    if (h == NULL) {
        return NULL;
    }
    h->magic = MAGIC_HEAP;
    h->len = n;
    return (char *)h + HDR;
}

static void *
a_malloc(void *ctx, size_t n)
{
    (void)ctx;
    if (n > SIZE_MAX - HDR - GRAN) {
        return NULL;
    }
    return n + HDR >= BIG ? big_alloc(n, 0) : heap_alloc(n, 0);
}

static void *
a_calloc(void *ctx, size_t k, size_t size)
{
    (void)ctx;
    if (size != 0 && k > SIZE_MAX / size) {
        return NULL;
    }
    size_t n = k * size;
    if (n > SIZE_MAX - HDR - GRAN) {
        return NULL;
    }
    return n + HDR >= BIG ? big_alloc(n, 1) : heap_alloc(n, 1);
}

static void
a_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    if (p == NULL) {
        return;
    }
    head *h = (head *)((char *)p - HDR);
    if (h->magic == MAGIC_MAP) {
        map_give(h);
    }
    else {
        h->magic = 0;
        free(h);
    }
}

static void *
a_realloc(void *ctx, void *p, size_t n)
{
    if (p == NULL) {
        return a_malloc(ctx, n);
    }
    if (n > SIZE_MAX - HDR - GRAN) {
        return NULL;
    }
    head *h = (head *)((char *)p - HDR);
    int is_map = h->magic == MAGIC_MAP;
    size_t had = is_map ? h->len - HDR : h->len;
    if (is_map && n + HDR >= BIG && n + HDR <= h->len) {
        return p; /* fits in its map as it is */
    }
    if (!is_map && n + HDR < BIG) {
        head *g = realloc(h, n + HDR);
        if (g == NULL) {
            return NULL;
        }
        g->len = n;
        return (char *)g + HDR;
    }
    void *q = a_malloc(ctx, n);
    if (q == NULL) {
        return NULL;
    }
    memcpy(q, p, had < n ? had : n);
    a_free(ctx, p, had);
    return q;
}

static DataMemHandler handler = {
    "dncguard_kept_maps", 1, {NULL, a_malloc, a_calloc, a_realloc, a_free}};

static void **numpy_api;

static int
find_numpy_api(void)
{
    if (numpy_api != NULL) {
        return 0;
    }
    PyObject *mod = PyImport_ImportModule("numpy._core._multiarray_umath");
    if (mod == NULL && PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
        PyErr_Clear();
        mod = PyImport_ImportModule("numpy.core._multiarray_umath");
    }
    if (mod == NULL) {
        return -1;
    }
    PyObject *capsule = PyObject_GetAttrString(mod, "_ARRAY_API");
    Py_DECREF(mod);
    if (capsule == NULL) {
        return -1;
    }
    void **api = PyCapsule_IsValid(capsule, NULL) ? PyCapsule_GetPointer(capsule, NULL) : NULL;
    Py_DECREF(capsule);
    if (api == NULL) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ImportError, "numpy's C API capsule was not found");
        return -1;
    }
    unsigned int features = ((unsigned int (*)(void))api[API_FEATURE_VERSION])();
    if (features < NPY_1_22_FEATURES) {
        PyErr_SetString(PyExc_ImportError, "numpy older than 1.22 has no settable allocator");
        return -1;
    }
    numpy_api = api;
    return 0;
}

static PyObject *
set_handler(PyObject *self, PyObject *capsule)
{
    (void)self;
    if (find_numpy_api() < 0) {
        return NULL;
    }
    /* numpy's PyDataMem_SetHandler: sets the handler of the current context (a context
     * variable), returns the previous one; NULL restores numpy's default. */
    PyObject *(*set)(PyObject *) = (PyObject * (*)(PyObject *)) numpy_api[API_SET_HANDLER];
    return set(capsule == Py_None ? NULL : capsule);
}

static PyObject *
configure(PyObject *self, PyObject *args)
{
    (void)self;
    Py_ssize_t bytes;
    double seconds;
    if (!PyArg_ParseTuple(args, "nd", &bytes, &seconds)) {
        return NULL;
    }
    if (bytes < 0 || !(seconds >= 0 && seconds < 1e6)) {
        PyErr_SetString(PyExc_ValueError, "the bytes kept and the seconds they wait must be at least 0");
        return NULL;
    }
    pthread_mutex_lock(&lock);
    cap = (size_t)bytes;
    decay = (uint64_t)(seconds * 1e9);
    pthread_mutex_unlock(&lock);
    Py_RETURN_NONE;
}

static PyObject *
release(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    kept *drop = NULL;
    pthread_mutex_lock(&lock);
    while (oldest != NULL) {
        drop_oldest(&drop);
    }
    pthread_mutex_unlock(&lock);
    unmap_dropped(drop);
    Py_RETURN_NONE;
}

static PyObject *
stats(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    pthread_mutex_lock(&lock);
    size_t m = n_maps, r = n_reused, u = n_unmapped, k = kept_bytes, c = cap;
    double d = (double)decay / 1e9;
    pthread_mutex_unlock(&lock);
    return Py_BuildValue("{s:n,s:n,s:n,s:n,s:n,s:d}", "maps", (Py_ssize_t)m, "reused", (Py_ssize_t)r,
                         "unmapped", (Py_ssize_t)u, "kept", (Py_ssize_t)k, "cap", (Py_ssize_t)c, "decay", d);
}

static PyMethodDef methods[] = {
    {"set_handler", set_handler, METH_O,
     "Set numpy's allocator of array data in the current context to CAPSULE (None: numpy's "
     "default); return the previous one."},
    {"configure", configure, METH_VARARGS,
     "configure(bytes, seconds): keep at most BYTES of freed large blocks for reuse, each at most SECONDS."},
    {"release", release, METH_NOARGS, "Unmap every kept block."},
    {"stats", stats, METH_NOARGS, "Counters: maps made, blocks reused, unmapped when the kept were full, bytes kept."},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *m)
{
    PyObject *capsule = PyCapsule_New(&handler, "mem_handler", NULL);
    if (capsule == NULL) {
        return -1;
    }
    if (PyModule_AddObject(m, "HANDLER", capsule) < 0) {
        Py_DECREF(capsule);
        return -1;
    }
    if (PyModule_AddIntConstant(m, "BIG", (long)BIG) < 0 || PyModule_AddIntConstant(m, "GRAN", (long)GRAN) < 0 ||
        PyModule_AddIntConstant(m, "LONGEST_KEPT", (long)(MAXCLS * GRAN)) < 0) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dncguard._arraymemc", "numpy array data in kept memory maps", 0, methods, slots,
    NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__arraymemc(void)
{
    return PyModuleDef_Init(&module);
}
