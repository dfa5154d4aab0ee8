// Generated from schemas/campaign.updated.json — do not edit. Change the schema and run `pnpm codegen`.

/**
 * Fields of a campaign changed; `changes` lists the new values.
 */
export interface CampaignUpdated {
  campaign_id: string;
  updated_at: string;
  updated_by?: string;
  changes: {
    name?: string;
    status?: "draft" | "scheduled" | "active" | "paused" | "completed";
    budget?: {
      amount: number;
      currency: string;
    };
  };
  metadata?: {
    [k: string]: unknown | undefined;
  };
}

export const topic = "campaign.updated.json" as const

export const metadata = {
  "partitions": 3,
  "key": "campaign_id",
  "compatibility": "BACKWARD",
  "framing": "json",
  "config": {},
  "typeName": "CampaignUpdated",
  "deadLetterTopic": "campaign.updated-dlq.json",
  "fingerprint": "9e71739995302329",
  "references": []
} as const

export const schema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Campaign updated",
  "description": "Fields of a campaign changed; `changes` lists the new values.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "campaign_id",
    "updated_at",
    "changes"
  ],
  "properties": {
    "campaign_id": {
      "type": "string",
      "minLength": 1
    },
    "updated_at": {
      "type": "string",
      "format": "date-time"
    },
    "updated_by": {
      "type": "string"
    },
    "changes": {
      "type": "object",
      "additionalProperties": false,
      "minProperties": 1,
      "properties": {
        "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 200
        },
        "status": {
          "type": "string",
          "enum": [
            "draft",
            "scheduled",
            "active",
            "paused",
            "completed"
          ]
        },
        "budget": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "amount",
            "currency"
          ],
          "properties": {
            "amount": {
              "type": "number",
              "minimum": 0
            },
            "currency": {
              "type": "string",
              "pattern": "^[A-Z]{3}$"
            }
          }
        }
      }
    },
    "metadata": {
      "type": "object",
      "additionalProperties": true
    }
  }
} as const
