/* kc-call-groups.h: the rows of Status.getCalls into calls
 *
 * Real appliances list one row per channel (leg) of a call, so a call from
 * outside is two rows, and a call to a ring group or queue one more row per
 * extension it rings. Rows are grouped by the caller: the same FROM number
 * and starts within a second (START_JITTER), or a leg id already seen in the
 * group. The operator's part of a group is its rows to (or from) the
 * operator's extension; without one, every row is. The rows carry nothing
 * else to tell calls apart: two calls from one number that start within the
 * same second are taken as one (a phone places one call at a time; a
 * company's one number calling twice in a second is the rare case).
 *
 * The tracker's own part: it keeps the groups between snapshots, adds the
 * calls it finds to the tracker's model and takes the ended ones out, and
 * says what changed; the tracker signals it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-kerio-types.h"
#include "kc-call.h"

G_BEGIN_DECLS

typedef struct _KcCallGroups KcCallGroups;

/* What a snapshot changed, in the order to tell it */
typedef struct
{
  GPtrArray *new_calls; /* KcCall, in the state to announce them in */
  GPtrArray *answered;  /* KcCall, ringing -> talking (the state not yet set) */
  GPtrArray *ended;     /* KcCall, already in their final state */
  GArray    *ended_old; /* KcCallState: each ended call's state before */
} KcCallChanges;

/* calls: the model the calls in progress are kept in (KcCall); extension:
 * the operator's, NULL or "" for none (kc_classify_call) */
KcCallGroups *kc_call_groups_new   (GListStore    *calls,
                                    const char    *extension,
                                    guint          extension_digits);
void          kc_call_groups_free  (KcCallGroups  *self);
/* One snapshot (KcActiveCall) taken at `now` (Unix seconds) */
void          kc_call_groups_apply (KcCallGroups  *self,
                                    GPtrArray     *rows,
                                    gint64         now,
                                    KcCallChanges *changes);

void          kc_call_changes_init  (KcCallChanges *changes);
void          kc_call_changes_clear (KcCallChanges *changes);

G_END_DECLS
