using System.CommandLine;
using System.Globalization;
using CameraService.Core.Auth;
using CameraService.Core.Hosting;
using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CameraService.Host.Commands;

/// <summary>
/// <c>camera-service token create</c> and <c>camera-service apikey create|list|revoke</c>. They resolve the
/// configuration, state directory and JWT secret exactly like the service, so what they mint is accepted by it.
/// </summary>
internal static class AuthCommands
{
    public static void AddTo(RootCommand root, Option<string?> configOption)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(BuildTokenCommand(configOption));
        root.Subcommands.Add(BuildApiKeyCommand(configOption));
    }

    private static Option<string> RoleOption() => new Option<string>("--role")
    {
        Description = "viewer, operator or admin",
        Required = true,
    }.AcceptOnlyFromAmong([.. Roles.Names]);

    private static Command BuildTokenCommand(Option<string?> configOption)
    {
        var role = RoleOption();
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 30m, 24h, 7d (default 24h)", DefaultValueFactory = _ => "24h" };
        var user = new Option<string>("--user") { Description = "The user_id claim (default cli)", DefaultValueFactory = _ => "cli" };
        var create = new Command("create", "Print a JWT signed with the service's secret")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        create.Options.Add(role);
        create.Options.Add(ttl);
        create.Options.Add(user);
        create.SetAction(parse => Run(parse.GetValue(configOption), parse.UnmatchedTokens, context =>
        {
            if (!TryParseLifetime(parse.GetValue(ttl)!, out var lifetime))
            {
                return ExitCodes.Failure;
            }

            if (!Roles.TryParse(parse.GetValue(role), out var apiRole))
            {
                Console.Error.WriteLine("--role must be viewer, operator or admin.");
                return ExitCodes.Failure;
            }

            var userId = parse.GetValue(user);
            if (string.IsNullOrWhiteSpace(userId))
            {
                Console.Error.WriteLine("--user must not be empty.");
                return ExitCodes.Failure;
            }

            var service = new JwtTokenService(context.Secret, TimeProvider.System, context.AuthOptions);
            Console.WriteLine(service.Create(userId, apiRole, lifetime));
            Console.Error.WriteLine($"Token for '{userId}' ({Roles.Name(apiRole)}), expires {RpcTime(TimeProvider.System.GetUtcNow() + lifetime)}.");
            return ExitCodes.Success;
        }));

        var token = new Command("token", "JWT tools");
        token.Subcommands.Add(create);
        return token;
    }

    private static Command BuildApiKeyCommand(Option<string?> configOption)
    {
        var role = RoleOption();
        var ttl = new Option<string?>("--ttl") { Description = "Lifetime, e.g. 90d (default: no expiry)" };
        var name = new Option<string?>("--name") { Description = "A label shown by list" };
        var create = new Command("create", "Create an API key (printed once; only its hash is stored)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        create.Options.Add(role);
        create.Options.Add(ttl);
        create.Options.Add(name);
        create.SetAction(parse => Run(parse.GetValue(configOption), parse.UnmatchedTokens, context =>
        {
            TimeSpan? lifetime = null;
            if (parse.GetValue(ttl) is { } text)
            {
                if (!TryParseLifetime(text, out var l))
                {
                    return ExitCodes.Failure;
                }

                lifetime = l;
            }

            if (!Roles.TryParse(parse.GetValue(role), out var apiRole))
            {
                Console.Error.WriteLine("--role must be viewer, operator or admin.");
                return ExitCodes.Failure;
            }

            var (record, key) = context.ApiKeys.Create(apiRole, lifetime, parse.GetValue(name));
            Console.WriteLine(key);
            Console.Error.WriteLine($"API key {record.Id} ({record.Role}) created, expires {(record.ExpiresAt is { } e ? RpcTime(e) : "never")}. Store it now: it cannot be shown again.");
            return ExitCodes.Success;
        }));

        var list = new Command("list", "List API keys (never the keys themselves)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        list.SetAction(parse => Run(parse.GetValue(configOption), parse.UnmatchedTokens, context =>
        {
            var keys = context.ApiKeys.List();
            Console.WriteLine($"{"ID",-18}{"ROLE",-10}{"NAME",-20}{"CREATED",-26}{"EXPIRES",-26}STATE");
            foreach (var k in keys)
            {
                var state = k.RevokedAt is not null ? "revoked" : k.ExpiresAt is { } e && e <= TimeProvider.System.GetUtcNow() ? "expired" : "active";
                Console.WriteLine($"{k.Id,-18}{k.Role,-10}{k.Name ?? "",-20}{RpcTime(k.CreatedAt),-26}{(k.ExpiresAt is { } x ? RpcTime(x) : "never"),-26}{state}");
            }

            if (keys.Count == 0)
            {
                Console.WriteLine("(no API keys)");
            }

            return ExitCodes.Success;
        }));

        var id = new Argument<string>("id") { Description = "The key id shown by list (key_…)" };
        var revoke = new Command("revoke", "Revoke an API key; sessions using it are refused on their next call")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        revoke.Arguments.Add(id);
        revoke.SetAction(parse => Run(parse.GetValue(configOption), parse.UnmatchedTokens, context =>
        {
            var keyId = parse.GetValue(id)!;
            if (!context.ApiKeys.Revoke(keyId))
            {
                Console.Error.WriteLine($"No API key has the id '{keyId}'; see `camera-service apikey list`.");
                return ExitCodes.Failure;
            }

            Console.WriteLine($"API key {keyId} revoked.");
            return ExitCodes.Success;
        }));

        var apikey = new Command("apikey", "API key tools");
        apikey.Subcommands.Add(create);
        apikey.Subcommands.Add(list);
        apikey.Subcommands.Add(revoke);
        return apikey;
    }

    private static int Run(string? configPath, IReadOnlyList<string> extra, Func<AuthContext, int> action)
    {
        try
        {
            var configuration = ConfigurationFactory.Build(configPath, extra);
            var settings = HostSettings.Read(configuration);
            var authOptions = new AuthOptions();
            configuration.GetSection(AuthOptions.SectionName).Bind(authOptions);
            var validation = new AuthOptionsValidator().Validate(null, authOptions);
            if (validation.Failed)
            {
                Console.Error.WriteLine($"Configuration error: {validation.FailureMessage}");
                return ExitCodes.ConfigurationError;
            }

            var options = Options.Create(authOptions);
            var state = new StateDirectory(settings.StateDirectory);
            return action(new AuthContext(new JwtSecret(options, state), options, new ApiKeyStore(state, TimeProvider.System)));
        }
        catch (ConfigurationException ex)
        {
            Console.Error.WriteLine($"Configuration error: {ex.Message}");
            return ExitCodes.ConfigurationError;
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Cannot use the state directory: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    private static bool TryParseLifetime(string text, out TimeSpan lifetime)
    {
        if (HostSettings.TryParseDuration(text, out lifetime) && lifetime > TimeSpan.Zero && lifetime <= TimeSpan.FromDays(3650))
        {
            return true;
        }

        Console.Error.WriteLine($"--ttl must be a positive duration up to 3650d, e.g. 30m, 24h, 7d (got '{text}').");
        return false;
    }

    private static string RpcTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record AuthContext(JwtSecret Secret, IOptions<AuthOptions> AuthOptions, ApiKeyStore ApiKeys);
}
