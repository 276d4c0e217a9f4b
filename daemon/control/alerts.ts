// The daemon's SMTP alerts: VRRP transitions and real-server changes in,
// mails out through a bounded background queue. Loaded by the runtime only
// when the config names recipients and a server (nodemailer costs start-up).
import { hostname, userInfo } from 'node:os';
import type { RealServerEvent } from '../check/status';
import type { Config } from '../config/model';
import type { Log } from '../core/log';
import { Mailer, smtpSender, type SendOne } from '../system/mailer';
import type { Transition } from '../vrrp/status';
import {
  alertPolicy,
  emptyVrrpAlertState,
  mailSettings,
  realServerMail,
  vrrpMails,
  type AlertPolicy,
  type HostFacts,
  type MailSettings,
} from './smtp-alert';

export const hostFacts = (): HostFacts => ({ hostname: hostname(), user: userInfo().username });

export class SmtpAlerts {
  private settings?: MailSettings;
  private policy!: AlertPolicy;
  private mailer?: Mailer;
  private readonly vrrp = emptyVrrpAlertState();

  constructor(
    config: Config,
    private readonly log: Log,
    private readonly host: HostFacts = hostFacts(),
    private readonly makeSender: (s: MailSettings) => SendOne = (s) => smtpSender({ ...s, log }),
  ) {
    this.setConfig(config);
  }

  setConfig(c: Config) {
    const next = mailSettings(c.global_defs, this.host);
    if (JSON.stringify(next) !== JSON.stringify(this.settings)) {
      this.settings = next;
      // mails already queued still go out through the old sender
      this.mailer = next ? new Mailer(this.makeSender(next), this.log) : undefined;
    }
    this.policy = alertPolicy(c);
  }

  onTransition(t: Transition) {
    if (!this.settings || !this.mailer) return;
    for (const m of vrrpMails(this.policy, this.vrrp, this.settings.routerId, t))
      this.mailer.send(m);
  }

  onRealServer(e: RealServerEvent) {
    if (!this.settings || !this.mailer) return;
    const m = realServerMail(this.policy, this.settings.routerId, e);
    if (m) this.mailer.send(m);
  }

  /** At shutdown: give queued mails (e.g. "Stopping") up to `ms` to leave. */
  flush(ms: number) {
    return this.mailer?.flush(ms) ?? Promise.resolve();
  }
}
