/* kc-entry-rows.h: what the preference groups' entry rows share
 *
 * An entry row of the preferences is saved when it is applied or left, is
 * marked with the reason when what it holds cannot be saved, and wakes
 * callbacks that must not keep its group alive. These are the pieces every
 * group (the window's own, events, AMI) does the same way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The row's text without surrounding blanks (free it) */
char     *kc_entry_row_get_text    (AdwEntryRow *row);

/* Marks row as wrong, with message shown in error_label on error_row just
 * below it and read out with the row; NULL clears the mark. */
void      kc_entry_row_set_error   (AdwEntryRow *row,
                                    GtkWidget   *error_row,
                                    GtkLabel    *error_label,
                                    const char  *message);

/* Applies the edit of a row being left, as its apply button would */
void      kc_entry_row_take_edit   (AdwEntryRow *row);

typedef void (*KcEntryRowLeftFunc) (gpointer     owner,
                                    AdwEntryRow *row);

/* Calls left (owner, row) each time the focus of row's window moves from
 * row to another of its widgets. The window going to the background is not
 * leaving the row: the focus is still there when the operator comes back,
 * and an edit half typed is not taken (a focus controller's "leave" is
 * emitted then too). The watch goes with the row; owner must outlive it
 * or check it is not disposed. */
void      kc_entry_row_watch_left  (AdwEntryRow        *row,
                                    KcEntryRowLeftFunc  left,
                                    gpointer            owner);

/* A weak reference to object for a callback (give it as user data), and
 * the object back from it (transfer full, or NULL when it is gone); the
 * second frees the reference. */
GWeakRef *kc_weak_ref_new          (gpointer     object);
gpointer  kc_weak_ref_steal        (gpointer     weak_ref);

G_END_DECLS
