import { PageHeader } from '../components/page-header';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '../components/ui/tabs';
import { ChannelsPanel } from '../features/alerts/channels';
import { DeliveryLogPanel } from '../features/alerts/delivery-log';
import { RoutesPanel } from '../features/alerts/routes';

export function AlertsPage() {
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Send violations, cases and scan results to Slack, email or your own signed webhook, at once or in 5-minute digests."
      />
      <Tabs defaultValue="channels">
        <TabsList>
          <TabsTrigger value="channels">Channels</TabsTrigger>
          <TabsTrigger value="routes">Routes</TabsTrigger>
          <TabsTrigger value="deliveries">Delivery log</TabsTrigger>
        </TabsList>
        <TabsContent value="channels">
          <ChannelsPanel />
        </TabsContent>
        <TabsContent value="routes">
          <RoutesPanel />
        </TabsContent>
        <TabsContent value="deliveries">
          <DeliveryLogPanel />
        </TabsContent>
      </Tabs>
    </>
  );
}
