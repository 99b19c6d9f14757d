/* kc-store-context.h: what the history knows of a caller
 *
 * The caller's own calls (with that number at the other end, either way),
 * the PBX's directory of its internal numbers, and the names of numbers
 * learnt from the PBX (caller ID) and from the CRM. The names are kept
 * apart from the rows of calls, so a sync that rewrites rows keeps them,
 * and they are there after a restart and without a connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kerio/kc-kerio-types.h"
#include "kc-store.h"

G_BEGIN_DECLS

/* A caller's calls before now */
typedef struct
{
  guint        n_recent;      /* calls that started at or after `since` */
  gboolean     has_last;      /* there is a call at all; then: */
  gint64       last_time;     /* the last one's start, Unix seconds */
  KcDirection  last_direction;
  KcCallStatus last_status;
  gboolean     last_voicemail;
} KcCallerHistory;

/* The calls whose other party is NUMBER: the caller of an incoming call,
 * the callee of an outgoing one. Reads an index: a few hundred µs whatever
 * the history's size. */
gboolean  kc_store_get_caller_history (KcStore          *self,
                                       const char       *number,
                                       gint64            since,
                                       KcCallerHistory  *history,
                                       GError          **error);

/* Replaces the directory by ENTRIES (KcDirectoryEntry; those without a
 * name are left out), in one transaction. */
gboolean  kc_store_replace_directory  (KcStore    *self,
                                       GPtrArray  *entries,
                                       GError    **error);

/* The names known for a number, each NULL when unknown */
typedef struct
{
  char *directory; /* the PBX's directory */
  char *crm;       /* the CRM's last answer */
  char *pbx;       /* the PBX's caller ID name seen last */
} KcCallerNames;

void      kc_caller_names_clear       (KcCallerNames *names);
/* The one to show: the directory's, else the CRM's, else the PBX's; NULL */
const char *kc_caller_names_best      (const KcCallerNames *names);

gboolean  kc_store_get_caller_names   (KcStore        *self,
                                       const char     *number,
                                       KcCallerNames  *names,
                                       GError        **error);

/* Remembers the name the PBX gave with a call; nothing is written when it
 * is known already. */
gboolean  kc_store_set_pbx_name       (KcStore     *self,
                                       const char  *number,
                                       const char  *name,
                                       GError     **error);
/* The same for many: NUMBER -> NAME (strings), in one transaction */
gboolean  kc_store_set_pbx_names      (KcStore     *self,
                                       GHashTable  *names,
                                       GError     **error);

/* The CRM's answer for a number and when it was asked: *checked_at is -1
 * (and name and url NULL) when it never was. */
gboolean  kc_store_get_crm_answer     (KcStore     *self,
                                       const char  *number,
                                       char       **name,
                                       char       **url,
                                       gint64      *checked_at,
                                       GError     **error);
/* Replaces it: name NULL when the CRM knows no such customer. */
gboolean  kc_store_set_crm_answer     (KcStore     *self,
                                       const char  *number,
                                       const char  *name,
                                       const char  *url,
                                       gint64       checked_at,
                                       GError     **error);

G_END_DECLS
