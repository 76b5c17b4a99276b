/* election: vote rule and tally (see election.h for the safety argument). Pure. */
#include "sentinel/core/election.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

void election_cast_vote(uint64_t *current_epoch, char leader[SENTINEL_RUNID_LEN + 1],
                        uint64_t *leader_epoch, uint64_t req_epoch, const char *candidate,
                        struct election_vote_outcome *out)
{
    out->epoch_adopted = false;
    out->voted = false;
    if (req_epoch > *current_epoch) {
        *current_epoch = req_epoch;
        out->epoch_adopted = true;
    }
    if (*leader_epoch < req_epoch && *current_epoch <= req_epoch) {
        snprintf(leader, SENTINEL_RUNID_LEN + 1, "%s", candidate);
        *leader_epoch = *current_epoch;
        out->voted = true;
    }
}

unsigned election_majority(unsigned voters) { return voters / 2 + 1; }

unsigned election_votes_needed(unsigned voters, int quorum)
{
    unsigned maj = election_majority(voters);
    unsigned q = quorum > 0 ? (unsigned)quorum : 1;
    return MAX(maj, q);
}

unsigned election_most_voted(const struct instance *master, uint64_t epoch,
                             char out[SENTINEL_RUNID_LEN + 1])
{
    unsigned best = 0;
    out[0] = '\0';
    const struct master_record *record = master->record;
    for (size_t i = 0; i < record->n_sentinels; i++) {
        const struct instance *a = record->sentinels[i];
        if (a->leader[0] == '\0' || a->leader_epoch != epoch) continue;
        unsigned n = 0;
        for (size_t j = 0; j < record->n_sentinels; j++) {
            const struct instance *b = record->sentinels[j];
            if (b->leader_epoch == epoch && strcmp(b->leader, a->leader) == 0) n++;
        }
        if (n > best || (n == best && strcmp(a->leader, out) < 0)) {
            best = n;
            snprintf(out, SENTINEL_RUNID_LEN + 1, "%s", a->leader);
        }
    }
    return best;
}

void election_count(const struct instance *master, uint64_t epoch, const char *myid,
                    const char *my_leader, uint64_t my_epoch, struct election_tally *t)
{
    const struct master_record *record = master->record;
    memset(t, 0, sizeof(*t));
    t->voters = (unsigned)record->n_sentinels + 1;
    t->needed = election_votes_needed(t->voters, record->params.quorum);
    /* Our own vote. */
    if (my_epoch == epoch && my_leader[0] != '\0') {
        if (strcmp(my_leader, myid) == 0)
            t->for_me++;
        else
            t->for_others++;
    } else {
        t->undecided++;
    }
    for (size_t i = 0; i < record->n_sentinels; i++) {
        const struct instance *peer = record->sentinels[i];
        if (peer->leader_epoch != epoch || peer->leader[0] == '\0') {
            t->undecided++;
            continue;
        }
        if (strcmp(peer->leader, myid) == 0)
            t->for_me++;
        else
            t->for_others++;
    }
    /* Strongest rival, own vote included. */
    for (size_t i = 0; i <= record->n_sentinels; i++) {
        const char *cand = i < record->n_sentinels ? record->sentinels[i]->leader : my_leader;
        uint64_t ce = i < record->n_sentinels ? record->sentinels[i]->leader_epoch : my_epoch;
        if (ce != epoch || cand[0] == '\0' || strcmp(cand, myid) == 0) continue;
        unsigned n = (my_epoch == epoch && strcmp(my_leader, cand) == 0) ? 1 : 0;
        for (size_t j = 0; j < record->n_sentinels; j++) {
            const struct instance *b = record->sentinels[j];
            if (b->leader_epoch == epoch && strcmp(b->leader, cand) == 0) n++;
        }
        t->best_other = MAX(t->best_other, n);
    }
}

bool election_won(const struct election_tally *t) { return t->for_me >= t->needed; }

bool election_lost(const struct election_tally *t) { return t->for_me + t->undecided < t->needed; }

bool election_other_won(const struct election_tally *t) { return t->best_other >= t->needed; }

bool election_round_lost(const struct election_tally *t)
{
    return !election_won(t) && (t->for_others > 0 || election_lost(t));
}
