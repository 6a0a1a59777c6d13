/**
 * The vendor's calendar: what changes over the period, and when. Customers come and go, one
 * re-installs its stack with a new external ID, a deploy renames the backend's task role and
 * moves a NAT address, the eu sync fails over to the us workers for a few hours, dual-stack tasks
 * call STS over IPv6. Each of these looks like an attack to a naive detector; none is one.
 *
 * The schedule repeats weekly, by day of the corpus (`d`, from 0): an offboarding in each region
 * on day 7w, a re-install and a failover on 7w+1 (the first week's day 1 also has the deploy), an
 * onboarding on 7w+2. Nothing but onboardings happens on the quiet day (the incident day, whether
 * or not the incidents are generated, so the benign traffic is the same either way), and no
 * offboarding's retries reach into it: the incidents' own denials must be the ones that take a
 * day over a limit. Onboardings run late in the day (after the incident day's probing), and the
 * offboardings give each outbound role the denied days it learns as normal.
 * Every draw comes from a stream of its own (`calendar`, `onboarded-account`, …), never an hour's.
 */
import { HEX, rngFor } from './random';
import { SCENARIO, type Region } from './scenario';
import { drawAccount, plainAccounts, scenarioRole, type CustomerAccount, type World } from './world';

// The calendar sits below hour.ts (which hands it to each hour), so it keeps its own units.
const SEC = 1000;
const HOUR = 3600 * SEC;
const DAY = 24 * HOUR;

/** The backend gives up on a customer whose role is gone this long after its first AccessDenied (and tells the customer). */
const GIVE_UP_MS = DAY;
/** The first plain accounts of each region are the incidents' targets: the calendar leaves them alone. */
const RESERVED_FOR_INCIDENTS = 3;
/** The rename deploy's day and UTC hour (its tasks start at the top of the hour). */
const DEPLOY = { day: 1, hour: 14 } as const;
/** The failover window's UTC hours on its day, end excluded. */
const FAILOVER_HOURS = { from: 19, to: 22 } as const;
/** UTC hour of an onboarding's verifier; the customer joins the hourly sync the hour after. */
const ONBOARDING_HOUR = 21;

/** A customer account whose role the customer deleted; the backend retries until it gives up. */
export interface Offboarding {
  readonly account: CustomerAccount;
  readonly deletedAt: number;
  readonly gaveUpAt: number;
}

/** A customer that re-installed its stack: from `at` on, its role trusts a new external ID only. */
export interface Reinstall {
  readonly account: CustomerAccount;
  readonly at: number;
  readonly externalId: string;
}

/** A new customer: a verifier session tries its role (denied until its stack exists), then the hourly sync. */
export interface Onboarding {
  readonly account: CustomerAccount;
  readonly verifyAt: number;
  /** Start of the first hour of the regular sync. */
  readonly joinsAt: number;
}

/** What of a week is looked up by time (customers' events are looked up by account). */
interface Week {
  /** The failover window; null on the quiet day. */
  readonly failover: { readonly from: number; readonly to: number } | null;
}

/** How an account's scheduled sync call goes at some time. */
export type SyncStatus = 'active' | 'gone' | 'dropped';

/** Where the calendar is laid out: the corpus start and the day it keeps quiet. */
export interface CalendarSpan {
  /** First hour of the corpus (ms, on the hour). */
  readonly start: number;
  /** The incident day (whether or not incidents are generated); null when there is none. */
  readonly quietDay: number | null;
}

/** The schedule of one corpus; weeks are laid out in order as time reaches them. */
export class Calendar {
  private readonly weeks: Week[] = [];
  private readonly offboardings = new Map<string, Offboarding>();
  private readonly reinstalls = new Map<string, Reinstall>();
  private readonly onboarded: Onboarding[] = [];
  /** Plain accounts the incidents leave alone, by region: who leaves, who re-installs. */
  private readonly spare: Readonly<Record<Region, readonly CustomerAccount[]>>;
  private readonly startHour: number;
  /** When the backend gave up on the customer whose role was gone from before the period. */
  readonly firstOffboardedGaveUpAt: number;
  /** The rename deploy: the backend's tasks restart as `integration-backend-v2`, nat-us's first gateway gets a new EIP, us task 1 goes dual-stack. */
  readonly deployAt: number;

  constructor(readonly world: World, readonly span: CalendarSpan) {
    this.startHour = new Date(span.start).getUTCHours();
    this.spare = {
      'eu-west-1': plainAccounts(world, 'eu-west-1').slice(RESERVED_FOR_INCIDENTS),
      'us-east-1': plainAccounts(world, 'us-east-1').slice(RESERVED_FOR_INCIDENTS),
    };
    // Its role went missing half a day before the period began; a day later the backend stopped.
    this.firstOffboardedGaveUpAt = this.at(0, 12, 7);
    this.deployAt = this.at(DEPLOY.day, DEPLOY.hour, 0);
  }

  /** The time of UTC hour `hour` (and `minute`) within corpus day `day`. */
  at(day: number, hour: number, minute: number): number {
    return this.span.start + day * DAY + ((hour - this.startHour + 24) % 24) * HOUR + minute * 60 * SEC;
  }

  /** Corpus day of `t`. */
  dayOf(t: number): number {
    return Math.floor((t - this.span.start) / DAY);
  }

  /** The week of `t`, laid out (with every week before it, in order: account draws depend on it). */
  private week(t: number): Week {
    const w = Math.max(0, Math.floor(this.dayOf(t) / 7));
    while (this.weeks.length <= w) this.weeks.push(this.layOut(this.weeks.length));
    return this.weeks[w]!;
  }

  private layOut(w: number): Week {
    const rng = rngFor(this.world.seed, 'calendar', w);
    const quiet = this.span.quietDay;
    const d = 7 * w;
    // Its retries run into the next day: neither day may be the quiet one.
    for (const account of [this.spare['eu-west-1'][2 * w], this.spare['us-east-1'][w]]) {
      const deletedAt = this.at(d, 15, 20 + rng.int(30));
      if (!account || (quiet !== null && (d === quiet || d + 1 === quiet))) continue;
      this.offboardings.set(account.account, { account, deletedAt, gaveUpAt: deletedAt + GIVE_UP_MS });
    }
    const reinstalling = this.spare['eu-west-1'][2 * w + 1];
    if (reinstalling && d + 1 !== quiet) {
      const externalId = rngFor(this.world.seed, 'reinstalled-external-id', w).uuid();
      this.reinstalls.set(reinstalling.account, { account: reinstalling, at: this.at(d + 1, 10, 5 + rng.int(40)), externalId });
    }
    this.onboarded.push(this.newCustomer(w, d + 2, rng.int(10)));
    return { failover: d + 1 === quiet ? null : { from: this.at(d + 1, FAILOVER_HOURS.from, 0), to: this.at(d + 1, FAILOVER_HOURS.to, 0) } };
  }

  /** Week `w`'s new customer: the next customer number, us and eu in turn, a fresh account. */
  private newCustomer(w: number, day: number, jitterMinutes: number): Onboarding {
    const customer = this.world.customers + w;
    const region: Region = w % 2 === 0 ? 'us-east-1' : 'eu-west-1';
    const rng = rngFor(this.world.seed, 'onboarded-account', w);
    let account: string;
    do account = drawAccount(rng);
    while (this.world.taken.has(account));
    this.world.taken.add(account);
    const role = scenarioRole(this.world.seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`);
    return {
      account: { customer, account, region, externalId: rngFor(this.world.seed, 'external-id', customer).uuid(), role, offboarded: false, secondary: false, multi: false },
      verifyAt: this.at(day, ONBOARDING_HOUR, 5 + jitterMinutes),
      joinsAt: this.at(day, ONBOARDING_HOUR + 1, 0),
    };
  }

  /** How a sync of `account` goes at `t`: its role there, gone (AccessDenied), or dropped (the backend stopped trying). */
  status(account: CustomerAccount, t: number): SyncStatus {
    this.week(t);
    if (account.offboarded) return t < this.firstOffboardedGaveUpAt ? 'gone' : 'dropped';
    const off = this.offboardings.get(account.account);
    if (!off || t < off.deletedAt) return 'active';
    return t < off.gaveUpAt ? 'gone' : 'dropped';
  }

  /** The external ID the backend sends `account` at `t` (a re-installed customer's new one from the re-install on). */
  externalIdAt(account: CustomerAccount, t: number): string {
    this.week(t);
    const r = this.reinstalls.get(account.account);
    return r && t >= r.at ? r.externalId : account.externalId;
  }

  /** Whether the eu sync runs on the us workers at `t` (through outbound-us and its own endpoint). */
  failover(region: Region, t: number): boolean {
    if (region !== 'eu-west-1') return false;
    const f = this.week(t).failover;
    return f !== null && t >= f.from && t < f.to;
  }

  /** New customers whose verifier runs in the hour starting at `hourStart`. */
  verifiedIn(hourStart: number): Onboarding[] {
    this.week(hourStart);
    return this.onboarded.filter((o) => o.verifyAt >= hourStart && o.verifyAt < hourStart + HOUR);
  }

  /** New customers in the hourly sync at `t`, in the order they joined. */
  joined(t: number): Onboarding[] {
    this.week(t);
    return this.onboarded.filter((o) => t >= o.joinsAt);
  }

  /** Every account the backend syncs in `region` at `t` (its role there): the original customers still active, then new ones. */
  activeAccounts(region: Region, t: number): CustomerAccount[] {
    const original = this.world.byRegion[region].filter((a) => this.status(a, t) === 'active');
    return [...original, ...this.joined(t).filter((o) => o.account.region === region).map((o) => o.account)];
  }

  /** Every customer account the onboarding system knows by `end` (the offboarded stay), with the external IDs it registered, newest first. */
  registered(end: number): { account: CustomerAccount; externalIds: string[] }[] {
    this.week(end - 1);
    const accounts = [...this.world.accounts, ...this.onboarded.filter((o) => o.verifyAt < end).map((o) => o.account)];
    return accounts.map((account) => {
      const r = this.reinstalls.get(account.account);
      return { account, externalIds: r && r.at < end ? [r.externalId, account.externalId] : [account.externalId] };
    });
  }

  /** Whether the backend runs as the renamed task role at `t`. */
  renamed(t: number): boolean {
    return t >= this.deployAt;
  }

  /** The Elastic IP nat gateway `gateway` of `region` has at `t` (the deploy moves one). */
  natEip(region: Region, gateway: number, t: number): string {
    const moved = SCENARIO.movedNat;
    if (region === moved.region && gateway === moved.gateway && t >= this.deployAt) return moved.eip;
    return SCENARIO.natGroups[region].eips[gateway]!;
  }

  /** A dual-stack task's IPv6 address at `t` (it calls STS over IPv6, through the dual-stack endpoint), or null. */
  taskIpv6(region: Region, task: number, day: number, t: number): string | null {
    const block = SCENARIO.natGroups[region].ipv6;
    // us task 1 runs dual-stack from the deploy on: a canary of the new network stack.
    if (block === null || task !== 1 || t < this.deployAt) return null;
    const rng = rngFor(this.world.seed, 'task-ipv6', region, day, task, this.dayOf(t) === DEPLOY.day ? 'deploy' : 'daily');
    const prefix = block.slice(0, block.indexOf('::')).split(':');
    // A /64 of the VPC's /56 (the subnet), then the task's interface ID.
    const subnet = `${prefix[prefix.length - 1]!.slice(0, 2)}1a`;
    return `${[...prefix.slice(0, -1), subnet].join(':')}:${[0, 1, 2, 3].map(() => rng.chars(HEX, 4).replace(/^0+(?=.)/, '')).join(':')}`;
  }

  /** The rename deploy's day and hour (its CI run is the hour before, its tasks start on the hour). */
  get deploy(): { readonly day: number; readonly hour: number } {
    return DEPLOY;
  }
}
