import { Link } from 'react-router';
import { EmptyState } from '../components/states';
import { Button } from '../components/ui/button';

export function NotFoundPage() {
  return (
    <EmptyState
      title="Page not found"
      description="This address does not match any page of the dashboard."
      action={
        <Button asChild variant="outline">
          <Link to="/">Go to the overview</Link>
        </Button>
      }
    />
  );
}
