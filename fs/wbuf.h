/* wbuf: the write buffer of an open API file and the complete rules that
 * judge it. A rule says whether the bytes written so far are a whole
 * document (commit now), may still become one (wait), or can never be one
 * (fail the write at once). JSON is judged incrementally by json-c's
 * tokener, which tells "needs more" from "can never parse"; a buffer whose
 * parsed bytes were overwritten is parsed again from the start. Pure: no
 * locks, no I/O (the handle that owns a wbuf serialises its use). */
#ifndef CASFS_WBUF_H
#define CASFS_WBUF_H

#include <stddef.h>

#include "buf.h"

struct json_tokener;

struct wbuf {
	struct cas_buf b;          /* the bytes written (NUL-terminated) */
	struct json_tokener *tok;  /* complete_json's incremental parser, or NULL */
	size_t fed;                /* bytes of b fed to tok; (size_t)-1: parse again */
	int secret;                /* the bytes carry a secret: what the tokener parsed is wiped */
};

enum verdict { V_INCOMPLETE, V_COMPLETE, V_INVALID };

/* final: no more bytes will come (close); then V_INCOMPLETE is never
 * returned. On V_INVALID, why holds the reason. */
typedef enum verdict (*complete_fn)(struct wbuf *w, int final, char *why, size_t whylen);

enum verdict complete_json(struct wbuf *w, int final, char *why, size_t whylen); /* one JSON object */
enum verdict complete_line(struct wbuf *w, int final, char *why, size_t whylen); /* one line */
enum verdict complete_pem(struct wbuf *w, int final, char *why, size_t whylen);  /* a PEM CSR */
/* key=value lines: complete when the buffer ends a line (there is no end
 * marker: see NF_EXTENDS), but a line that can never be valid, or one tag
 * too many, fails at once */
enum verdict complete_tags(struct wbuf *w, int final, char *why, size_t whylen);
enum verdict complete_any(struct wbuf *w, int final, char *why, size_t whylen);  /* any bytes */

/* Writes size bytes at off (a gap reads as NUL bytes). */
void wbuf_place(struct wbuf *w, const char *data, size_t size, size_t off);
void wbuf_truncate(struct wbuf *w, size_t size);
/* Wipes the bytes and the tokener's copy (cloud-access/new carries a
 * SecretKey) and frees w's storage; w can be used again, empty. */
void wbuf_free(struct wbuf *w);

#endif
