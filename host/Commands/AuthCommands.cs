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
        var cameras = CamerasOption();
        var create = new Command("create", "Print a JWT signed with the service's secret")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        create.Options.Add(role);
        create.Options.Add(ttl);
        create.Options.Add(user);
        create.Options.Add(cameras);
        create.SetAction(parse => Run(parse.GetValue(configOption), parse.UnmatchedTokens, context =>
        {
            if (!TryParseLifetime(parse.GetValue(ttl)!, out var lifetime, context.AuthOptions.Value.MaxTokenLifetime))
            {
                return ExitCodes.Failure;
            }

            if (!Roles.TryParse(parse.GetValue(role), out var apiRole))
            {
                Console.Error.WriteLine("--role must be viewer, operator or admin.");
                return ExitCodes.Failure;
            }

            if (!CameraScope.TryParseList(parse.GetValue(cameras), out var scope, out var scopeError))
            {
                Console.Error.WriteLine(scopeError);
                return ExitCodes.Failure;
            }

            var userId = parse.GetValue(user);
            if (string.IsNullOrWhiteSpace(userId))
            {
                Console.Error.WriteLine("--user must not be empty.");
                return ExitCodes.Failure;
            }

            var service = new JwtTokenService(context.Secret, TimeProvider.System, context.AuthOptions);
            var (jwt, jti) = service.CreateWithId(userId, apiRole, lifetime, scope);
            Console.WriteLine(jwt);
            Console.Error.WriteLine($"Token {jti} for '{userId}' ({Roles.Name(apiRole)}{(scope is null ? string.Empty : ", cameras " + string.Join(',', scope))}), expires {RpcTime(TimeProvider.System.GetUtcNow() + lifetime)}. Revoke it with: camera-service token revoke {jti}");
            return ExitCodes.Success;
        }));

        var jtiArgument = new Argument<string?>("jti") { Description = "The token id printed by token create", Arity = ArgumentArity.ZeroOrOne };
        var revokeUser = new Option<string?>("--user") { Description = "Revoke every token of this user_id issued before now" };
        var revoke = new Command("revoke", "Revoke a token (by jti) or every token of a user; live sessions are refused within a second")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        revoke.Arguments.Add(jtiArgument);
        revoke.Options.Add(revokeUser);
        revoke.SetAction(parse =>
        {
            // The optional argument would swallow a configuration override (--State:Directory=…) given without a jti.
            var id = parse.GetValue(jtiArgument);
            var extra = parse.UnmatchedTokens.ToList();
            if (id is not null && id.StartsWith("--", StringComparison.Ordinal))
            {
                extra.Insert(0, id);
                id = null;
            }

            return Run(parse.GetValue(configOption), extra, context => Revoke(context, id, parse.GetValue(revokeUser)));
        });

        var token = new Command("token", "JWT tools");
        token.Subcommands.Add(create);
        token.Subcommands.Add(revoke);
        return token;
    }

    private static int Revoke(AuthContext context, string? id, string? userId)
    {
        if (string.IsNullOrWhiteSpace(id) == string.IsNullOrWhiteSpace(userId))
        {
            Console.Error.WriteLine("Give either a token id (camera-service token revoke <jti>) or --user <user_id>, not both.");
            return ExitCodes.Failure;
        }

        if (userId is { Length: > 0 })
        {
            var before = context.Revocations.RevokeUser(userId);
            Console.WriteLine($"Every token of '{userId}' issued before {RpcTime(before)} is revoked.");
        }
        else
        {
            Console.WriteLine(context.Revocations.RevokeToken(id!) ? $"Token {id} revoked." : $"Token {id} was already revoked.");
        }

        return FixOwnership(context, TokenRevocations.FileName);
    }

    private static Command BuildApiKeyCommand(Option<string?> configOption)
    {
        var role = RoleOption();
        var ttl = new Option<string?>("--ttl") { Description = "Lifetime, e.g. 90d (default: no expiry)" };
        var name = new Option<string?>("--name") { Description = "A label shown by list" };
        var cameras = CamerasOption();
        var create = new Command("create", "Create an API key (printed once; only its hash is stored)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        create.Options.Add(role);
        create.Options.Add(ttl);
        create.Options.Add(name);
        create.Options.Add(cameras);
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

            if (!CameraScope.TryParseList(parse.GetValue(cameras), out var scope, out var scopeError))
            {
                Console.Error.WriteLine(scopeError);
                return ExitCodes.Failure;
            }

            var (record, key) = context.ApiKeys.Create(apiRole, lifetime, parse.GetValue(name), scope);
            Console.WriteLine(key);
            Console.Error.WriteLine($"API key {record.Id} ({record.Role}{(scope is null ? string.Empty : ", cameras " + string.Join(',', scope))}) created, expires {(record.ExpiresAt is { } e ? RpcTime(e) : "never")}. Store it now: it cannot be shown again.");
            return FixOwnership(context, ApiKeyStore.FileName);
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
            return FixOwnership(context, ApiKeyStore.FileName);
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
            var context = new AuthContext(new JwtSecret(options, state), options, new ApiKeyStore(state, TimeProvider.System), new TokenRevocations(state, TimeProvider.System), state);
            var code = action(context);

            // The secret may have been generated just now: it must belong to the service's user too.
            return code == ExitCodes.Success && File.Exists(state.PathOf(JwtSecret.FileName)) ? FixOwnership(context, JwtSecret.FileName) : code;
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

    private static bool TryParseLifetime(string text, out TimeSpan lifetime, TimeSpan? max = null)
    {
        var limit = max ?? TimeSpan.FromDays(3650);
        if (HostSettings.TryParseDuration(text, out lifetime) && lifetime > TimeSpan.Zero && lifetime <= limit)
        {
            return true;
        }

        Console.Error.WriteLine(max is null
            ? $"--ttl must be a positive duration up to 3650d, e.g. 30m, 24h, 7d (got '{text}')."
            : $"--ttl must be a positive duration up to Auth:MaxTokenLifetime ({limit.TotalDays:0.##}d), e.g. 30m, 24h, 7d (got '{text}'); use an API key for a long-lived credential.");
        return false;
    }

    private static Option<string?> CamerasOption() => new("--cameras")
    {
        Description = "Limit the credential to these cameras, e.g. camera0,camera2 (default: every camera)",
    };

    /// <summary>
    /// A command run as root (e.g. <c>sudo camera-service apikey create</c>) would leave a root-owned 0600 file the
    /// service cannot read: give the file to the owner of the state directory (the service's user), like the rest
    /// of the state. Fails the command when that is not possible.
    /// </summary>
    private static int FixOwnership(AuthContext context, string fileName)
    {
        var path = context.State.PathOf(fileName);
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists(path))
        {
            return ExitCodes.Success;
        }

        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("chown", ["--reference=" + context.State.Path, path])
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var chown = System.Diagnostics.Process.Start(psi)!;
            var error = chown.StandardError.ReadToEnd();
            chown.WaitForExit();
            if (chown.ExitCode == 0)
            {
                return ExitCodes.Success;
            }

            Console.Error.WriteLine($"{path} was written as root and its owner could not be set to the owner of {context.State.Path} ({error.Trim()}); fix it with: chown --reference={context.State.Path} {path}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Console.Error.WriteLine($"{path} was written as root and chown could not run ({ex.Message}); fix it with: chown --reference={context.State.Path} {path}");
        }

        return ExitCodes.Failure;
    }

    private static string RpcTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record AuthContext(JwtSecret Secret, IOptions<AuthOptions> AuthOptions, ApiKeyStore ApiKeys, TokenRevocations Revocations, StateDirectory State);
}
