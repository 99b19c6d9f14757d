/* kc-store-recovery.h: opening the history whatever state the file is in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kc-store.h"

G_BEGIN_DECLS

/* kc_store_open(), but a file that is not a readable history of ours (damaged,
 * another program's) is renamed to PATH.unreadable-TIMESTAMP — never deleted,
 * it may be the only copy of someone's data — and a new history is started;
 * the caller rebuilds it from the PBX. *moved_to (may be NULL) gets the new
 * name of the old file, or NULL when nothing was moved. */
KcStore *kc_store_open_or_set_aside (const char  *path,
                                     char       **moved_to,
                                     GError     **error);

G_END_DECLS
