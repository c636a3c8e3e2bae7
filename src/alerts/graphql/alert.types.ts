/** GraphQL shapes of alerts. Alert ids are the alert UUIDs. */
import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import type { Locale } from "../../common/i18n";
import { AlertRule, AlertSeverity } from "../rules";
import { AlertRow, AlertStatus } from "../alert.service";
import { alertMessage } from "../messages";

registerEnumType(AlertRule, { name: "AlertRule", description: "Which condition raised an alert." });
registerEnumType(AlertSeverity, { name: "AlertSeverity" });
registerEnumType(AlertStatus, {
  name: "AlertStatus",
  description: "OPEN until someone acknowledges it; RESOLVED by itself when its condition clears.",
});

@ObjectType("Alert", { description: "A condition that needs someone's attention, with how to fix it." })
export class AlertType {
  @Field(() => ID) id!: string;
  @Field(() => AlertRule) rule!: AlertRule;
  @Field(() => AlertSeverity) severity!: AlertSeverity;
  @Field(() => AlertStatus) status!: AlertStatus;
  @Field({ description: 'What it is about, e.g. "channel:<uuid>"; one open alert per rule and subject.' })
  subject!: string;
  @Field(() => ID, { nullable: true, description: "Global id of the producer; null for platform alerts." })
  producerId!: string | null;
  @Field(() => ID, { nullable: true, description: "Global id of the channel, when about one." })
  channelId!: string | null;
  @Field({ description: "In the caller's language (Accept-Language)." }) message!: string;
  @Field({ description: "How to fix it, in the caller's language." }) hint!: string;
  @Field() messageVi!: string;
  @Field() messageEn!: string;
  @Field({ description: "The rule's figures (days left, failed items…), as JSON." }) paramsJson!: string;
  @Field() raisedAt!: Date;
  @Field({ description: "Last evaluation that still found the condition." }) lastSeenAt!: Date;
  @Field(() => Date, { nullable: true }) acknowledgedAt!: Date | null;
  @Field(() => String, { nullable: true, description: "Who acknowledged it (user:…, apiKey:…)." })
  acknowledgedBy!: string | null;
  @Field(() => Date, { nullable: true }) resolvedAt!: Date | null;
}

@ObjectType()
export class AlertConnection extends Connection(AlertType, "Alert") {}

@InputType({ description: "All given conditions must hold." })
export class AlertFilterInput {
  @Field(() => [AlertStatus], { nullable: true, description: "Any of these statuses (default: all)." })
  status?: AlertStatus[] | null;
  @Field(() => ID, { nullable: true, description: "Producer global id (or UUID)." }) producerId?:
    | string
    | null;
  @Field(() => ID, { nullable: true, description: "Channel global id (or UUID)." }) channelId?: string | null;
  @Field(() => AlertSeverity, { nullable: true }) severity?: AlertSeverity | null;
  @Field(() => AlertRule, { nullable: true }) rule?: AlertRule | null;
}

@ObjectType()
export class AlertPayload {
  @Field(() => AlertType, { nullable: true }) alert!: AlertType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

export function toAlertType(a: AlertRow, locale: Locale): AlertType {
  const vi = alertMessage(a.rule, a.params, "vi");
  const en = alertMessage(a.rule, a.params, "en");
  const here = locale === "en" ? en : vi;
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    status: a.status,
    subject: a.subjectKey,
    producerId: a.producerId ? toGlobalId("Producer", a.producerId) : null,
    channelId: a.channelId ? toGlobalId("Channel", a.channelId) : null,
    message: here.message,
    hint: here.hint,
    messageVi: vi.message,
    messageEn: en.message,
    paramsJson: JSON.stringify(a.params),
    raisedAt: a.raisedAt,
    lastSeenAt: a.lastSeenAt,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: a.resolvedAt,
  };
}
