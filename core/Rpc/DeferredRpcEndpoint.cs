using CameraService.Abstractions.Api;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Rpc;

/// <summary>
/// What a plugin gets when it asks for <see cref="IRpcEndpoint"/> or <see cref="ITrustedRpcEndpoint"/> in a constructor:
/// the real endpoint is resolved on the first session. The endpoint's methods depend on the active components, and
/// those include every <see cref="IApiTransport"/>; a transport that took the endpoint directly closed that circle,
/// which the container cannot see through factories: the service hung at start without a word (the template's
/// transport did). Sessions are opened once the service runs, long after every singleton exists.
/// </summary>
internal sealed class DeferredRpcEndpoint(IServiceProvider services) : IRpcEndpoint, ITrustedRpcEndpoint
{
    private readonly Lazy<RpcEndpoint> _endpoint = new(services.GetRequiredService<RpcEndpoint>);

    public IRpcSession OpenSession(IRpcConnection connection) => _endpoint.Value.OpenSession(connection);

    public IRpcSession OpenTrustedSession(IRpcConnection connection, TrustedPrincipal principal) => _endpoint.Value.OpenTrustedSession(connection, principal);
}
