using CameraService.Abstractions.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CameraService.Core.Auth;

/// <summary>Registers the security services of api-contract §8.5 (revocation list, session guard and audit).</summary>
internal static class SecurityServiceCollectionExtensions
{
    public static IServiceCollection AddCameraServiceSecurity(this IServiceCollection services)
    {
        services.TryAddSingleton<TokenRevocations>();
        services.TryAddSingleton<SessionGuard>();
        services.TryAddSingleton<IScopedAccessControl>(sp => sp.GetRequiredService<AccessControl>());
        services.TryAddSingleton<ServiceCredentials>();
        services.TryAddSingleton<IServiceCredentials>(sp => sp.GetRequiredService<ServiceCredentials>());
        services.TryAddSingleton<MediaMtxAuthEndpoint>();
        services.AddSingleton<IHttpBodyEndpointSource>(sp => sp.GetRequiredService<MediaMtxAuthEndpoint>());
        return services;
    }
}
