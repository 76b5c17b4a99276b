/* election: epochs, one vote per epoch, the tally and the majority rule
 * (docs/sentinel-protocol.md#leader-election).
 *
 * Pure functions over the vote fields; the caller (sentinel.c) persists the state returned in
 * the outcome before it lets a vote leave the process, and emits the events.
 *
 * Safety argument (at most one leader per epoch):
 * - a sentinel records at most one vote per epoch: it votes in epoch E only if its recorded
 *   vote is for an older epoch and its current epoch is not above E, and the vote is durable
 *   before the reply is sent (a restart cannot vote again in E);
 * - a candidate counts a vote only when the voter reported it for exactly the epoch of the
 *   candidate's attempt (Redis counts the candidate's *current* epoch; we use the attempt's
 *   epoch and also ask with it, so a claim of leadership always names the epoch it was won in);
 * - a winner needs max(majority of all known voters, quorum) votes; two winners in one epoch
 *   would need a voter that voted twice in it.
 * Voters = known peers + 1, peers never aged out (conservative: dead peers make a majority
 * harder, never easier).
 */
#ifndef VIGIL_SENTINEL_ELECTION_H
#define VIGIL_SENTINEL_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "sentinel/core/instance.h"

struct election_vote_outcome {
    bool epoch_adopted; /* current epoch raised to the request's epoch */
    bool voted;         /* a new vote was recorded (leader/leader_epoch changed) */
};

/* The vote rule (docs/sentinel-protocol.md#leader-election) on (current_epoch, leader,
 * leader_epoch). On return *leader / *leader_epoch hold the vote to report (possibly an older one).
 */
void election_cast_vote(uint64_t *current_epoch, char leader[SENTINEL_RUNID_LEN + 1],
                        uint64_t *leader_epoch, uint64_t req_epoch, const char *candidate,
                        struct election_vote_outcome *out);

unsigned election_majority(unsigned voters);
/* Votes needed to win: max(majority, quorum). */
unsigned election_votes_needed(unsigned voters, int quorum);

/* The peer candidate with most votes reported for `epoch` (ties: smaller run id). Returns the
 * vote count, 0 (and out "") when no peer reported a vote in that epoch. */
unsigned election_most_voted(const struct instance *master, uint64_t epoch,
                             char out[SENTINEL_RUNID_LEN + 1]);

struct election_tally {
    unsigned voters;
    unsigned needed;
    unsigned for_me;     /* votes for `myid` in the epoch, own vote included */
    unsigned undecided;  /* peers with no reported vote in the epoch */
    unsigned best_other; /* most votes any other candidate holds in the epoch */
    unsigned for_others; /* votes for any other candidate in the epoch, own vote included */
};

/* Count the votes for `myid` in `epoch`, with our own recorded vote (my_leader, my_epoch). */
void election_count(const struct instance *master, uint64_t epoch, const char *myid,
                    const char *my_leader, uint64_t my_epoch, struct election_tally *t);
bool election_won(const struct election_tally *t);
/* No way left to win: votes for me plus undecided peers cannot reach `needed`. */
bool election_lost(const struct election_tally *t);
/* Another candidate already holds enough votes. */
bool election_other_won(const struct election_tally *t);
/* A round that cannot be won, or that split: some voter named another candidate for this epoch
 * (not yet a winner), or the votes still missing cannot make a majority. Ending it at once,
 * instead of at the election timeout, is what keeps two candidates from stalling the group. */
bool election_round_lost(const struct election_tally *t);

#endif
