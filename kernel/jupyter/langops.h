/* langops.h — the language as the protocol handlers call it.
 *
 * Handlers never call lang_* directly: they go through a kn_lang table, so
 * the handler tests can plug in a small fake language (and run without the
 * interpreter or the runtime), and the kernel plugs in the real one with
 * kn_lang_real(). Types are lang.h's.
 */
#ifndef CGPU_KN_LANGOPS_H
#define CGPU_KN_LANGOPS_H

#include "lang.h"

/* A table of the lang.h entry points plus the state they act on. Owned by
 * whoever builds it; `L` is owned by the kernel's creator, not by the table. */
typedef struct kn_lang {
    lang_state *L;              /* NULL until first needed when `create` is set */
    lang_state *(*create)(void); /* optional: makes L on first use, so start-up stays fast */
    lang_status (*execute)(lang_state *L, const char *code, const lang_output *out, int silent,
                           lang_result *res);
    lang_status (*eval_expression)(lang_state *L, const char *expr, lang_result *res);
    void (*interrupt)(lang_state *L);
    volatile sig_atomic_t *(*interrupt_flag)(lang_state *L);
    void (*clear_interrupt)(lang_state *L);
    void (*complete)(lang_state *L, const char *code, int cursor_pos, lang_completion *c);
    int  (*inspect)(lang_state *L, const char *code, int cursor_pos, int detail_level, lang_bundle *doc);
    const char *(*is_complete)(lang_state *L, const char *code, char *indent, size_t indent_cap);
    const lang_info_t *(*info)(void);
    void (*result_clear)(lang_result *r);
    void (*bundle_clear)(lang_bundle *b);
    void (*completion_clear)(lang_completion *c);
} kn_lang;

/* The table of the real interpreter (kernel/lang/) for state L; with L
 * NULL, the state is made by lang_new on first use. */
kn_lang kn_lang_real(lang_state *L);

#endif
