//! The API types the schema check knows: every kind `k8s-openapi` has (the
//! Kubernetes API, types implementing `ListableResource`, i.e. objects one can
//! store) and every custom resource of the CRD crates the gate depends on
//! (Cilium v2 and v2alpha1; Flux kustomize v1, source v1, helm v2). Each row's
//! `apiVersion`, `kind` and scope come from the type itself; the test
//! `the_table_has_every_kubernetes_kind` holds this list against the
//! `k8s-openapi` source, so an upgrade that adds a kind fails until it is here.

use crate::schema::KindSpec;

use k8s_openapi::api;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
use kcr_cilium_io::{v2 as cilium_v2, v2alpha1 as cilium_v2alpha1};
use kcr_helm_toolkit_fluxcd_io::v2 as helm_v2;
use kcr_kustomize_toolkit_fluxcd_io::v1 as kustomize_v1;
use kcr_source_toolkit_fluxcd_io::v1 as source_v1;

macro_rules! typed {
    ($($ty:ty),* $(,)?) => {
        /// One row per type (subresource types have none).
        pub fn typed() -> Vec<KindSpec> {
            [$(KindSpec::of::<$ty>),*].iter().filter_map(|of| of()).collect()
        }
    };
}

typed![
    api::admissionregistration::v1::MutatingWebhookConfiguration,
    api::admissionregistration::v1::ValidatingAdmissionPolicy,
    api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    api::admissionregistration::v1::ValidatingWebhookConfiguration,
    api::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
    api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
    api::admissionregistration::v1beta1::MutatingAdmissionPolicy,
    api::admissionregistration::v1beta1::MutatingAdmissionPolicyBinding,
    api::apiserverinternal::v1alpha1::StorageVersion,
    api::apps::v1::ControllerRevision,
    api::apps::v1::DaemonSet,
    api::apps::v1::Deployment,
    api::apps::v1::ReplicaSet,
    api::apps::v1::StatefulSet,
    api::autoscaling::v1::HorizontalPodAutoscaler,
    api::autoscaling::v2::HorizontalPodAutoscaler,
    api::batch::v1::CronJob,
    api::batch::v1::Job,
    api::certificates::v1::CertificateSigningRequest,
    api::certificates::v1alpha1::ClusterTrustBundle,
    api::certificates::v1beta1::ClusterTrustBundle,
    api::certificates::v1beta1::PodCertificateRequest,
    api::coordination::v1::Lease,
    api::coordination::v1alpha2::LeaseCandidate,
    api::coordination::v1beta1::LeaseCandidate,
    api::core::v1::ComponentStatus,
    api::core::v1::ConfigMap,
    api::core::v1::Endpoints,
    api::core::v1::Event,
    api::core::v1::LimitRange,
    api::core::v1::Namespace,
    api::core::v1::Node,
    api::core::v1::PersistentVolume,
    api::core::v1::PersistentVolumeClaim,
    api::core::v1::Pod,
    api::core::v1::PodTemplate,
    api::core::v1::ReplicationController,
    api::core::v1::ResourceQuota,
    api::core::v1::Secret,
    api::core::v1::Service,
    api::core::v1::ServiceAccount,
    api::discovery::v1::EndpointSlice,
    api::events::v1::Event,
    api::flowcontrol::v1::FlowSchema,
    api::flowcontrol::v1::PriorityLevelConfiguration,
    api::networking::v1::IPAddress,
    api::networking::v1::Ingress,
    api::networking::v1::IngressClass,
    api::networking::v1::NetworkPolicy,
    api::networking::v1::ServiceCIDR,
    api::networking::v1beta1::IPAddress,
    api::networking::v1beta1::ServiceCIDR,
    api::node::v1::RuntimeClass,
    api::policy::v1::PodDisruptionBudget,
    api::rbac::v1::ClusterRole,
    api::rbac::v1::ClusterRoleBinding,
    api::rbac::v1::Role,
    api::rbac::v1::RoleBinding,
    api::resource::v1::DeviceClass,
    api::resource::v1::ResourceClaim,
    api::resource::v1::ResourceClaimTemplate,
    api::resource::v1::ResourceSlice,
    api::resource::v1alpha3::DeviceTaintRule,
    api::resource::v1beta1::DeviceClass,
    api::resource::v1beta1::ResourceClaim,
    api::resource::v1beta1::ResourceClaimTemplate,
    api::resource::v1beta1::ResourceSlice,
    api::resource::v1beta2::DeviceClass,
    api::resource::v1beta2::ResourceClaim,
    api::resource::v1beta2::ResourceClaimTemplate,
    api::resource::v1beta2::ResourceSlice,
    api::scheduling::v1::PriorityClass,
    api::scheduling::v1alpha1::Workload,
    api::storage::v1::CSIDriver,
    api::storage::v1::CSINode,
    api::storage::v1::CSIStorageCapacity,
    api::storage::v1::StorageClass,
    api::storage::v1::VolumeAttachment,
    api::storage::v1::VolumeAttributesClass,
    api::storage::v1beta1::VolumeAttributesClass,
    api::storagemigration::v1beta1::StorageVersionMigration,
    apiextensions::v1::CustomResourceDefinition,
    apiregistration::v1::APIService,
    cilium_v2::ciliumbgpadvertisements::CiliumBgpAdvertisement,
    cilium_v2::ciliumbgpclusterconfigs::CiliumBgpClusterConfig,
    cilium_v2::ciliumbgpnodeconfigoverrides::CiliumBgpNodeConfigOverride,
    cilium_v2::ciliumbgpnodeconfigs::CiliumBgpNodeConfig,
    cilium_v2::ciliumbgppeerconfigs::CiliumBgpPeerConfig,
    cilium_v2::ciliumcidrgroups::CiliumCidrGroup,
    cilium_v2::ciliumclusterwideenvoyconfigs::CiliumClusterwideEnvoyConfig,
    cilium_v2::ciliumclusterwidenetworkpolicies::CiliumClusterwideNetworkPolicy,
    cilium_v2::ciliumegressgatewaypolicies::CiliumEgressGatewayPolicy,
    cilium_v2::ciliumenvoyconfigs::CiliumEnvoyConfig,
    cilium_v2::ciliumexternalworkloads::CiliumExternalWorkload,
    cilium_v2::ciliumloadbalancerippools::CiliumLoadBalancerIpPool,
    cilium_v2::ciliumlocalredirectpolicies::CiliumLocalRedirectPolicy,
    cilium_v2::ciliumnetworkpolicies::CiliumNetworkPolicy,
    cilium_v2::ciliumnodeconfigs::CiliumNodeConfig,
    cilium_v2::ciliumnodes::CiliumNode,
    cilium_v2::ciliumpodippools::CiliumPodIpPool,
    cilium_v2alpha1::ciliumbgpadvertisements::CiliumBgpAdvertisement,
    cilium_v2alpha1::ciliumbgpclusterconfigs::CiliumBgpClusterConfig,
    cilium_v2alpha1::ciliumbgpnodeconfigoverrides::CiliumBgpNodeConfigOverride,
    cilium_v2alpha1::ciliumbgpnodeconfigs::CiliumBgpNodeConfig,
    cilium_v2alpha1::ciliumbgppeerconfigs::CiliumBgpPeerConfig,
    cilium_v2alpha1::ciliumbgppeeringpolicies::CiliumBgpPeeringPolicy,
    cilium_v2alpha1::ciliumcidrgroups::CiliumCidrGroup,
    cilium_v2alpha1::ciliumdatapathplugins::CiliumDatapathPlugin,
    cilium_v2alpha1::ciliumgatewayclassconfigs::CiliumGatewayClassConfig,
    cilium_v2alpha1::ciliuml2announcementpolicies::CiliumL2AnnouncementPolicy,
    cilium_v2alpha1::ciliumloadbalancerippools::CiliumLoadBalancerIpPool,
    cilium_v2alpha1::ciliumnodeconfigs::CiliumNodeConfig,
    cilium_v2alpha1::ciliumpodippools::CiliumPodIpPool,
    helm_v2::helmreleases::HelmRelease,
    kustomize_v1::kustomizations::Kustomization,
    source_v1::buckets::Bucket,
    source_v1::gitrepositories::GitRepository,
    source_v1::helmcharts::HelmChart,
    source_v1::helmrepositories::HelmRepository,
    source_v1::ocirepositories::OciRepository,
];
