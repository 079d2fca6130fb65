using CameraService.Core.Events;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Notifications;

/// <summary>Outbound notifications, bound from <c>Notifications</c> (docs/webhooks.md).</summary>
internal sealed class NotificationsOptions
{
    public const string SectionName = "Notifications";

    /// <summary>The webhooks: each gets every event of its topics POSTed as signed JSON.</summary>
    public List<WebhookTarget> Webhooks { get; set; } = [];

    /// <summary>Events waiting per webhook; when full, new events for that webhook are dropped (and counted).</summary>
    public int WebhookQueueLength { get; set; } = 1000;

    /// <summary>Attempts per event (the first one included) before it is given up (and counted).</summary>
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; doubled after each failed attempt.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two attempts.</summary>
    public TimeSpan WebhookRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one POST may take before it counts as failed (and is retried).</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>One entry of <c>Notifications:Webhooks</c>.</summary>
internal sealed class WebhookTarget
{
    /// <summary>Where events are POSTed (<c>http://</c> or <c>https://</c>).</summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 key the receiver verifies signatures with (at least 16 characters).</summary>
    public string? Secret { get; set; }

    /// <summary>Event topics as in <c>subscribe_events</c>; empty = every topic.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>A label for logs and metrics; default the URL's host and port.</summary>
    public string? Name { get; set; }

    /// <summary>The label used in logs and metrics.</summary>
    public string Label => !string.IsNullOrWhiteSpace(Name) ? Name : Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? uri.Authority : "webhook";
}

/// <summary>Checks <see cref="NotificationsOptions"/> at start, naming the key to fix.</summary>
internal sealed class NotificationsOptionsValidator : IValidateOptions<NotificationsOptions>
{
    public const int MinimumSecretLength = 16;

    public ValidateOptionsResult Validate(string? name, NotificationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        for (var i = 0; i < options.Webhooks.Count; i++)
        {
            var hook = options.Webhooks[i];
            var key = $"Notifications:Webhooks:{i}";
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"{key}:Url '{hook.Url}' must be an absolute http:// or https:// URL.");
            }

            if (string.IsNullOrEmpty(hook.Secret) || hook.Secret.Length < MinimumSecretLength)
            {
                errors.Add($"{key}:Secret must be set and at least {MinimumSecretLength} characters long (the receiver verifies the HMAC-SHA256 signature with it).");
            }

            foreach (var topic in hook.Topics)
            {
                if (!EventTopicNames.TryParse(topic, out _))
                {
                    errors.Add($"{key}:Topics: '{topic}' is not a topic; use one of {string.Join(", ", EventTopicNames.ValidNames)}.");
                }
            }
        }

        if (options.WebhookQueueLength is < 1 or > 1_000_000)
        {
            errors.Add($"Notifications:WebhookQueueLength must be between 1 and 1000000 (was {options.WebhookQueueLength}).");
        }

        if (options.WebhookMaxAttempts is < 1 or > 100)
        {
            errors.Add($"Notifications:WebhookMaxAttempts must be between 1 and 100 (was {options.WebhookMaxAttempts}).");
        }

        Interval(errors, options.WebhookRetryDelay, "Notifications:WebhookRetryDelay");
        Interval(errors, options.WebhookRetryMaxDelay, "Notifications:WebhookRetryMaxDelay");
        Interval(errors, options.WebhookTimeout, "Notifications:WebhookTimeout");
        if (options.WebhookRetryMaxDelay < options.WebhookRetryDelay)
        {
            errors.Add("Notifications:WebhookRetryMaxDelay must not be shorter than Notifications:WebhookRetryDelay.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Interval(List<string> errors, TimeSpan value, string key)
    {
        if (value < TimeSpan.FromMilliseconds(10) || value > TimeSpan.FromHours(1))
        {
            errors.Add($"{key} must be between 10 ms and 1 hour (was {value}); e.g. 00:00:05 for 5 seconds.");
        }
    }
}
